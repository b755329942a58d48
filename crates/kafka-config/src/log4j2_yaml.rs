//! A line-based editor for the two settings setup changes in a log4j2 YAML file: the root
//! level (`Configuration: Loggers: Root: level`) and the level of named loggers (the
//! `Configuration: Loggers: Logger` list). Every other line, comments and order included, is
//! kept byte for byte.
//!
//! It reads the block style log4j2's own files and Kafka's use: `key: value` mappings nested by
//! indentation, `- ` sequence items (also at their key's indentation), `#` comments anywhere,
//! plain or quoted scalars. Flow style (`{...}`, `[...]`) or anchors in the edited sections are
//! an error asking for block style; they are left alone everywhere else. Keys are matched
//! without regard to case, as log4j2 does. Missing sections are created, so an empty file
//! becomes a minimal valid configuration.

/// One line of the file.
#[derive(Debug, Clone)]
struct Line {
    text: String,
}

impl Line {
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches(' ').len()
    }

    /// Blank or a comment: no part of the structure.
    fn is_filler(&self) -> bool {
        let rest = self.text.trim_start();
        rest.is_empty() || rest.starts_with('#')
    }

    /// The content after the indentation and an optional `- `.
    fn body(&self) -> (bool, usize, &str) {
        let indent = self.indent();
        let rest = &self.text[indent..];
        match rest.strip_prefix("- ") {
            Some(after) => {
                let extra = after.len() - after.trim_start_matches(' ').len();
                (true, indent + 2 + extra, after.trim_start_matches(' '))
            }
            None if rest == "-" => (true, indent + 2, ""),
            None => (false, indent, rest),
        }
    }
}

/// A `key: value` at the start of `body`: the key (unquoted) and the raw value text.
fn split_key(body: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(quoted) = body.strip_prefix('"') {
        let end = quoted.find('"')?;
        (quoted[..end].to_owned(), &quoted[end + 1..])
    } else if let Some(quoted) = body.strip_prefix('\'') {
        let end = quoted.find('\'')?;
        (quoted[..end].to_owned(), &quoted[end + 1..])
    } else {
        let end = body.find(':')?;
        (body[..end].trim_end().to_owned(), &body[end..])
    };
    let value = rest.trim_start().strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with(' ')) {
        return None;
    }
    Some((key, value.trim_start()))
}

/// A scalar value without its comment and quotes.
fn scalar(value: &str) -> String {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.split('"').next()) {
        return inner.to_owned();
    }
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.split('\'').next()) {
        return inner.to_owned();
    }
    match value.find(" #") {
        Some(end) => value[..end].trim_end().to_owned(),
        None => value.to_owned(),
    }
}

/// A key found in a block: its line, the column of its key, and its value text.
#[derive(Debug, Clone, Copy)]
struct Found {
    line: usize,
    column: usize,
}

/// The log4j2 YAML document being edited.
#[derive(Debug)]
struct Document {
    lines: Vec<Line>,
    trailing_newline: bool,
}

impl Document {
    fn parse(text: &str) -> Result<Self, String> {
        if text.contains('\t') && text.lines().any(|l| l.starts_with('\t')) {
            return Err("it is indented with tabs, which YAML does not allow".to_owned());
        }
        Ok(Self {
            lines: text
                .lines()
                .map(|line| Line {
                    text: line.trim_end_matches('\r').to_owned(),
                })
                .collect(),
            trailing_newline: text.is_empty() || text.ends_with('\n'),
        })
    }

    fn render(&self) -> String {
        let mut out = self
            .lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if self.trailing_newline && !out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// The end (exclusive) of the block of children of the key at `found`: the lines until one
    /// that is indented no deeper than the key (a `- ` item at the key's own column, when the key
    /// is not itself an item, still belongs to it).
    fn block_end(&self, found: Found) -> usize {
        let key_is_item =
            self.lines[found.line].body().0 && self.lines[found.line].body().1 == found.column;
        let mut end = found.line + 1;
        let mut last_content = found.line + 1;
        while end < self.lines.len() {
            let line = &self.lines[end];
            if !line.is_filler() {
                let indent = line.indent();
                let item_at_key = indent == found.column && line.body().0 && !key_is_item;
                if indent < found.column || (indent == found.column && !item_at_key) {
                    break;
                }
                last_content = end + 1;
            }
            end += 1;
        }
        last_content
    }

    /// The key `name` (any case) among the keys at `column` in lines `start..end`.
    fn find_key(&self, start: usize, end: usize, column: usize, name: &str) -> Option<Found> {
        (start..end).find_map(|index| {
            let line = &self.lines[index];
            if line.is_filler() {
                return None;
            }
            let (_, body_column, body) = line.body();
            if body_column != column {
                return None;
            }
            let (key, _) = split_key(body)?;
            key.eq_ignore_ascii_case(name).then_some(Found {
                line: index,
                column,
            })
        })
    }

    /// The column of the keys of the block of `found` (its first content line), if any.
    fn child_column(&self, found: Found, end: usize) -> Option<usize> {
        (found.line + 1..end)
            .find(|&i| !self.lines[i].is_filler())
            .map(|i| self.lines[i].body().1)
    }

    fn value_of(&self, found: Found) -> &str {
        split_key(self.lines[found.line].body().2).map_or("", |(_, value)| value)
    }

    /// Refuses flow style, anchors and aliases where the editor must look inside.
    fn require_block(&self, found: Found, name: &str) -> Result<(), String> {
        let value = self.value_of(found);
        if value.is_empty() || value.starts_with('#') {
            Ok(())
        } else {
            Err(format!(
                "`{name}` must be a block mapping (one key per line), not `{}`",
                value.trim()
            ))
        }
    }

    /// The mapping `name` under the block of `parent` (`None`: the top level), created at the
    /// end of that block when missing.
    fn child(&mut self, parent: Option<Found>, name: &str) -> Result<Found, String> {
        let (start, end, column) = match parent {
            None => (0, self.lines.len(), 0),
            Some(parent) => {
                let end = self.block_end(parent);
                let column = self.child_column(parent, end).unwrap_or(parent.column + 2);
                (parent.line + 1, end, column)
            }
        };
        if let Some(found) = self.find_key(start, end, column, name) {
            self.require_block(found, name)?;
            return Ok(found);
        }
        let at = if parent.is_none() && self.lines.iter().all(Line::is_filler) {
            self.lines.len()
        } else {
            end
        };
        self.lines.insert(
            at,
            Line {
                text: format!("{}{name}:", " ".repeat(column)),
            },
        );
        Ok(Found { line: at, column })
    }

    /// Sets `key: value` among the keys of the block of `parent`, after `after` when new.
    fn set_scalar(&mut self, parent: Found, key: &str, value: &str) {
        let end = self.block_end(parent);
        let column = self.child_column(parent, end).unwrap_or(parent.column + 2);
        match self.find_key(parent.line + 1, end, column, key) {
            Some(found) => {
                let line = &self.lines[found.line];
                let old = line.text.clone();
                let (_, _, body) = line.body();
                let body_start = old.len() - body.len();
                let colon = body.find(':').unwrap_or(body.len());
                let prefix = &old[..body_start + colon + 1];
                let rest = &old[body_start + colon + 1..];
                let comment = rest.find(" #").map(|i| &rest[i..]).unwrap_or_default();
                self.lines[found.line].text = format!("{prefix} {value}{comment}");
            }
            None => {
                let at = if self.child_column(parent, end).is_some() {
                    parent.line + 1
                } else {
                    end
                };
                self.lines.insert(
                    at,
                    Line {
                        text: format!("{}{key}: {value}", " ".repeat(column)),
                    },
                );
            }
        }
    }

    /// The sequence items of the block of `list`: (first line, column of their keys).
    fn items(&self, list: Found) -> Vec<Found> {
        let end = self.block_end(list);
        let mut items = Vec::new();
        for index in list.line + 1..end {
            let line = &self.lines[index];
            if line.is_filler() {
                continue;
            }
            let (is_item, column, _) = line.body();
            if is_item
                && items
                    .first()
                    .is_none_or(|first: &Found| self.lines[first.line].indent() == line.indent())
            {
                items.push(Found {
                    line: index,
                    column,
                });
            }
        }
        items
    }

    /// Turns a single mapping under `list` into a one-item sequence.
    fn mapping_to_sequence(&mut self, list: Found) {
        let end = self.block_end(list);
        let Some(column) = self.child_column(list, end) else {
            return;
        };
        let mut first = true;
        for index in list.line + 1..end {
            let line = &mut self.lines[index];
            if line.is_filler() {
                continue;
            }
            let rest = line.text[column.min(line.text.len())..].to_owned();
            let pad = " ".repeat(column);
            line.text = if first {
                format!("{pad}- {rest}")
            } else {
                format!("{pad}  {rest}")
            };
            first = false;
        }
    }

    /// The `name` value of a sequence item.
    fn item_name(&self, item: Found) -> Option<String> {
        let end = self.item_end(item);
        let first = &self.lines[item.line];
        if let Some((key, value)) = split_key(first.body().2)
            && key.eq_ignore_ascii_case("name")
        {
            return Some(scalar(value));
        }
        let found = self.find_key(item.line + 1, end, item.column, "name")?;
        Some(scalar(self.value_of(found)))
    }

    /// The end (exclusive) of a sequence item's lines.
    fn item_end(&self, item: Found) -> usize {
        let dash = self.lines[item.line].indent();
        let mut end = item.line + 1;
        let mut last = item.line + 1;
        while end < self.lines.len() {
            let line = &self.lines[end];
            if !line.is_filler() {
                if line.indent() <= dash {
                    break;
                }
                last = end + 1;
            }
            end += 1;
        }
        last
    }

    /// Sets `level` of the item, keeping the item's other keys.
    fn set_item_level(&mut self, item: Found, level: &str) {
        let end = self.item_end(item);
        let first = self.lines[item.line].body().2;
        if split_key(first).is_some_and(|(key, _)| key.eq_ignore_ascii_case("level")) {
            let pad = " ".repeat(item.column - 2);
            let comment = first
                .find(" #")
                .map(|i| &first[i..])
                .unwrap_or_default()
                .to_owned();
            self.lines[item.line].text = format!("{pad}- level: {level}{comment}");
            return;
        }
        match self.find_key(item.line + 1, end, item.column, "level") {
            Some(found) => {
                let text = self.lines[found.line].text.clone();
                let comment = text.find(" #").map(|i| &text[i..]).unwrap_or_default();
                let key = split_key(self.lines[found.line].body().2)
                    .map(|(key, _)| key)
                    .unwrap_or_else(|| "level".to_owned());
                self.lines[found.line].text =
                    format!("{}{key}: {level}{comment}", " ".repeat(item.column));
            }
            None => self.lines.insert(
                item.line + 1,
                Line {
                    text: format!("{}level: {level}", " ".repeat(item.column)),
                },
            ),
        }
    }
}

/// A logger to set: its name and level.
pub(crate) struct LoggerSetting<'a> {
    pub(crate) name: &'a str,
    pub(crate) level: &'a str,
}

/// Sets the root level and the loggers' levels in `text` (see the module documentation).
pub(crate) fn edit(
    text: &str,
    root_level: Option<&str>,
    loggers: &[LoggerSetting<'_>],
) -> Result<String, String> {
    let mut document = Document::parse(text)?;
    if let Some(first) = document.lines.iter().find(|l| !l.is_filler())
        && first.indent() != 0
    {
        return Err("the top level is indented; expected `Configuration:` at column 0".to_owned());
    }
    if document
        .lines
        .iter()
        .any(|l| !l.is_filler() && l.indent() == 0 && l.body().0)
    {
        return Err("the top level is a list, not a `Configuration:` mapping".to_owned());
    }
    let configuration = document.child(None, "Configuration")?;
    let section = document.child(Some(configuration), "Loggers")?;
    if let Some(level) = root_level {
        let root = document.child(Some(section), "Root")?;
        document.set_scalar(root, "level", level);
    }
    if loggers.is_empty() {
        return Ok(document.render());
    }
    let section = document.child(Some(configuration), "Loggers")?;
    let section_end = document.block_end(section);
    let column = document
        .child_column(section, section_end)
        .unwrap_or(section.column + 2);
    let list = match document.find_key(section.line + 1, section_end, column, "Logger") {
        Some(found) => {
            document.require_block(found, "Logger")?;
            found
        }
        None => document.child(Some(section), "Logger")?,
    };
    let list_end = document.block_end(list);
    let has_children = document.child_column(list, list_end).is_some();
    if has_children && document.items(list).is_empty() {
        document.mapping_to_sequence(list);
    }
    for logger in loggers {
        let items = document.items(list);
        let existing = items
            .into_iter()
            .find(|item| document.item_name(*item).as_deref() == Some(logger.name));
        match existing {
            Some(item) => document.set_item_level(item, logger.level),
            None => {
                let end = document.block_end(list);
                let dash = document
                    .items(list)
                    .first()
                    .map_or(list.column + 2, |item| document.lines[item.line].indent());
                let pad = " ".repeat(dash);
                let name = if logger.name.contains(['#', ':', '$', '"', '\'']) {
                    format!("\"{}\"", logger.name.replace('"', "\\\""))
                } else {
                    logger.name.to_owned()
                };
                document.lines.insert(
                    end,
                    Line {
                        text: format!("{pad}  level: {}", logger.level),
                    },
                );
                document.lines.insert(
                    end,
                    Line {
                        text: format!("{pad}- name: {name}"),
                    },
                );
            }
        }
    }
    Ok(document.render())
}

/// Reads back the root level and a logger's level, for tests of the editor.
#[cfg(test)]
pub(crate) fn levels(text: &str, logger: &str) -> (Option<String>, Option<String>) {
    let mut document = Document::parse(text).expect("parse");
    let configuration = document
        .child(None, "Configuration")
        .expect("configuration");
    let section = document
        .child(Some(configuration), "Loggers")
        .expect("loggers");
    let root = document.child(Some(section), "Root").expect("root");
    let end = document.block_end(root);
    let column = document.child_column(root, end).unwrap_or(root.column + 2);
    let root_level = document
        .find_key(root.line + 1, end, column, "level")
        .map(|found| scalar(document.value_of(found)));
    let list = document.child(Some(section), "Logger").expect("logger");
    let item = document
        .items(list)
        .into_iter()
        .find(|item| document.item_name(*item).as_deref() == Some(logger));
    let level = item.and_then(|item| {
        let first = document.lines[item.line].body().2;
        if let Some((key, value)) = split_key(first)
            && key.eq_ignore_ascii_case("level")
        {
            return Some(scalar(value));
        }
        let end = document.item_end(item);
        document
            .find_key(item.line + 1, end, item.column, "level")
            .map(|found| scalar(document.value_of(found)))
    });
    (root_level, level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Configuration:".to_owned()),
            Just("  Loggers:".to_owned()),
            Just("    Root:".to_owned()),
            Just("      level: INFO".to_owned()),
            Just("    Logger:".to_owned()),
            Just("      - name: kafka".to_owned()),
            Just("    - name: kafka".to_owned()),
            Just("        level: INFO # note".to_owned()),
            Just("  # comment".to_owned()),
            Just(String::new()),
            "[ a-zA-Z:#\"'{}\\[\\]-]{0,20}",
        ]
    }

    proptest! {
        #[test]
        fn editing_never_panics_and_a_second_edit_changes_nothing(
            lines in proptest::collection::vec(line(), 0..16),
            root in proptest::option::of(Just("WARN")),
            add in proptest::bool::ANY,
        ) {
            let text = lines.join("\n");
            let loggers = [LoggerSetting { name: "kafka", level: "DEBUG" }, LoggerSetting { name: "new.one", level: "TRACE" }];
            let loggers = if add { &loggers[..] } else { &loggers[..0] };
            if let Ok(first) = edit(&text, root, loggers) {
                prop_assert_eq!(edit(&first, root, loggers), Ok(first.clone()));
                if let Some(level) = root {
                    let (root_level, _) = levels(&first, "kafka");
                    prop_assert_eq!(root_level.as_deref(), Some(level));
                }
            }
        }
    }
}
