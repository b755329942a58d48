//! Differential test against the real `java.util.Properties.load` (the reader Kafka uses): a JDK
//! compiles a tiny loader, loads a corpus of tricky `.properties` texts and our rendering of
//! tricky values, and every key and value must match ours UTF-16 unit for unit.
//!
//! Needs `javac` and `java` on `PATH` (a JDK is a requirement of the project's tests: the fixture
//! Kafka distribution and the CDS tests need one too).
#![allow(
    clippy::disallowed_methods,
    reason = "the test drives a JDK through files and a child process; the library stays pure"
)]

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use kafka_config::properties::{Properties, parse};

const LOADER: &str = r#"
import java.io.*;
import java.util.*;

public class Load {
    static String hex(String s) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < s.length(); i++) {
            if (i > 0) b.append(',');
            b.append(Integer.toHexString(s.charAt(i)));
        }
        return b.append(']').toString();
    }

    public static void main(String[] args) throws Exception {
        int count = Integer.parseInt(args[1]);
        for (int i = 0; i < count; i++) {
            String path = args[0] + "/case-" + i + ".properties";
            System.out.println("FILE " + i);
            Properties p = new Properties();
            try (InputStream in = new FileInputStream(path)) {
                p.load(in);
            } catch (IllegalArgumentException e) {
                System.out.println("ERROR");
                continue;
            }
            TreeMap<String, String> sorted = new TreeMap<>();
            for (String k : p.stringPropertyNames()) sorted.put(k, p.getProperty(k));
            for (Map.Entry<String, String> e : sorted.entrySet())
                System.out.println(hex(e.getKey()) + " " + hex(e.getValue()));
        }
    }
}
"#;

fn hex(s: &str) -> String {
    let units: Vec<String> = s.encode_utf16().map(|u| format!("{u:x}")).collect();
    format!("[{}]", units.join(","))
}

/// What Java prints for one file, computed from our parser.
fn ours(text: &str) -> String {
    match parse(text) {
        Err(_) => "ERROR\n".to_owned(),
        Ok(properties) => {
            let mut entries: Vec<(String, String)> = properties
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            // Java's TreeMap orders by UTF-16 units.
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            let mut out = String::new();
            for (k, v) in entries {
                let _ = writeln!(out, "{} {}", hex(&k), hex(&v));
            }
            out
        }
    }
}

/// A small deterministic generator, so the corpus is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).expect("fits") % bound
    }
}

fn corpus() -> Vec<String> {
    let mut texts: Vec<String> = [
        "a=1\nb:2\nc 3\nd = 4\n  e\t:\t5\nf\\\n  g=6",
        "# c \\\nx=1\n! bang\n  # indented\ny",
        "k\\ ey\\=x\\:y=t\\tn\\nr\\rf\\fq\\q\\\\",
        "u=\\u00e9\\uD83D\\uDE00\\u0041",
        "bad=\\u12G4",
        "short=\\u12",
        "a=1\\\r\n   2\\\r   3\\\n\n   4",
        "dup=1\ndup=2\ndup:3",
        "=empty key\n:also\n lonely",
        "trailing=\\",
        "a=x\\\\\nb=y\\\\\\\nz",
        "\n\n\r\r\n  \t \n",
        "key=value with # and ! inside",
        "a==b\nc::d\ne =:f\ng\t=\th",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let alphabet: Vec<char> = "ab =:#!\\\\\t\n\r\x0cu0e9AFtnrf ".chars().collect();
    let mut rng = Lcg(42);
    for _ in 0..3000 {
        let len = rng.next(40);
        texts.push(
            (0..len)
                .map(|_| alphabet[rng.next(alphabet.len())])
                .collect(),
        );
    }
    let tricky = [
        " leading",
        "trailing ",
        "back\\slash",
        "new\nline",
        "tab\tand\rcr",
        "#hash",
        "!bang",
        "=eq",
        ":colon",
        "é ü ß",
        "snow ☃",
        "emoji 😀",
        "\u{0}\u{1f}\u{7f}\u{80}\u{ff}",
        "",
    ];
    for key in ["k", "key with space", "#k", "!k", "k=v", "k:v", "ké", "😀"] {
        for value in tricky {
            let mut properties = Properties::new();
            properties.set(key, value);
            texts.push(properties.render());
        }
    }
    texts
}

#[test]
fn java_reads_what_we_read() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("java-properties");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(dir.join("Load.java"), LOADER).expect("write loader");
    let status = Command::new("javac")
        .arg("Load.java")
        .current_dir(&dir)
        .status()
        .expect("run javac");
    assert!(status.success(), "javac failed");

    let texts = corpus();
    let mut expected = String::new();
    for (index, text) in texts.iter().enumerate() {
        let path = dir.join(format!("case-{index}.properties"));
        // ASCII corpus and ASCII renderings: the bytes are the same in UTF-8 and ISO-8859-1.
        assert!(
            text.is_ascii(),
            "corpus entry {index} is not ASCII: {text:?}"
        );
        fs::write(&path, text).expect("write case");
        let _ = writeln!(expected, "FILE {index}");
        expected.push_str(&ours(text));
    }
    let output = Command::new("java")
        .arg("-cp")
        .arg(&dir)
        .arg("Load")
        .arg(&dir)
        .arg(texts.len().to_string())
        .output()
        .expect("run java");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let actual = String::from_utf8(output.stdout).expect("ascii output");
    let mismatches: Vec<String> = expected
        .split("FILE ")
        .zip(actual.split("FILE "))
        .filter(|(e, a)| e != a)
        .map(|(e, a)| format!("ours:\n{e}\njava:\n{a}"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        texts.len(),
        mismatches.join("\n")
    );
    assert_eq!(
        expected.matches("FILE ").count(),
        actual.matches("FILE ").count()
    );
}
