//! The fault cases' timelines: acknowledged records per second as an inline SVG bar chart with the
//! fault and the recovery marked, so the HTML report shows a stall without any script.

use std::fmt::Write as _;

use super::{FaultRecord, escape_markup, format_seconds};

/// Chart size in SVG user units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 160.0;
/// Room for the axis labels.
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 20.0;

/// One `<svg>` element drawing `fault`'s acknowledged records per second.
pub(crate) fn render_timeline_svg(fault: &FaultRecord) -> String {
    let seconds = fault.acks_per_second.len().max(1);
    let peak = fault
        .acks_per_second
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_width = WIDTH - LEFT;
    let plot_height = HEIGHT - BOTTOM;
    let bar = plot_width / seconds as f64;
    let x_of = |at: f64| LEFT + at * bar;
    let mut svg = String::new();
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{label}\">\n\
         <title>{label}</title>\n\
         <text x=\"0\" y=\"12\" font-size=\"10\">{peak}/s</text>\n\
         <text x=\"0\" y=\"{plot_height}\" font-size=\"10\">0</text>\n\
         <line x1=\"{LEFT}\" y1=\"{plot_height}\" x2=\"{WIDTH}\" y2=\"{plot_height}\" stroke=\"#888\"/>\n",
        label = escape_markup(&format!(
            "acknowledged records per second around: {}",
            fault.fault
        )),
    );
    for (second, &count) in fault.acks_per_second.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let height = plot_height * f64::from(count) / f64::from(peak);
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{height:.1}\" fill=\"#4a7fb5\"/>",
            x = x_of(second as f64),
            y = plot_height - height,
            w = (bar - 0.5).max(0.5),
        );
    }
    for (at, colour, text) in [
        (fault.fault_at, "#c62828", "fault"),
        (fault.recovered_at, "#2e7d32", "recovered"),
    ] {
        let x = x_of(at.as_secs_f64());
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{plot_height}\" stroke=\"{colour}\" \
             stroke-width=\"2\"/>\n<text x=\"{tx:.1}\" y=\"{ty}\" font-size=\"10\" fill=\"{colour}\">\
             {text} {secs} s</text>",
            tx = x + 2.0,
            ty = HEIGHT - 4.0,
            secs = format_seconds(at),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_fault;

    #[test]
    fn timeline_marks_fault_and_recovery() {
        let svg = render_timeline_svg(&sample_fault());
        assert!(svg.starts_with("<svg "), "{svg}");
        assert_eq!(svg.matches("<rect ").count(), 6, "zero seconds draw no bar");
        assert!(svg.contains(">fault 3.000 s</text>"), "{svg}");
        assert!(svg.contains(">recovered 6.500 s</text>"), "{svg}");
        assert!(!svg.contains("<script"));
    }
}
