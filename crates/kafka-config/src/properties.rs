//! Java `.properties` files, read and written exactly as `java.util.Properties` does.
//!
//! Kafka loads `server.properties` with `java.util.Properties.load(InputStream)`, which decodes the
//! bytes as ISO-8859-1 and applies the rules re-implemented by [`parse`]: natural lines end at `\n`,
//! `\r` or `\r\n`; a line whose first non-blank character is `#` or `!` is a comment; a line ending
//! in an odd number of backslashes continues on the next one (whose leading blanks are dropped); the
//! key ends at the first unescaped `=`, `:` or blank; escapes `\t`, `\n`, `\r`, `\f` and `\uXXXX`
//! are decoded and any other escaped character stands for itself; the last occurrence of a key wins.
//!
//! [`Properties`] keeps the order of entries and the comment and blank lines of the file it was read
//! from, so that [`Properties::render`] gives back a readable file with every key once. The writer
//! escapes so that Java reads back exactly the stored value: backslashes, control characters,
//! leading blanks, the separators and comment characters of keys, and every non-ASCII character as
//! `\uXXXX` (UTF-16 code units, as Java's own `store` does), since the file is read as ISO-8859-1.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::byte_scan;

/// A `.properties` file that does not follow Java's syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PropertiesError {
    /// A `\u` escape not followed by four hexadecimal digits (Java throws
    /// `IllegalArgumentException: Malformed \uxxxx encoding.` and Kafka does not start).
    #[error("line {line}: malformed `\\uXXXX` escape")]
    MalformedUnicodeEscape {
        /// The 1-based natural line on which the logical line holding the escape starts.
        line: usize,
    },
}

impl PropertiesError {
    /// What the user can do about it.
    #[must_use]
    pub fn help(&self) -> &'static str {
        match self {
            Self::MalformedUnicodeEscape { .. } => {
                "write `\\u` followed by exactly four hex digits, or `\\\\u` for a literal backslash and `u`"
            }
        }
    }
}

/// Bytes of a mounted file that are neither UTF-8 nor Latin-1 (ISO-8859-1) text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset} is a control character (0x{byte:02x}), so this is not a text file")]
pub struct NotText {
    /// Offset of the first offending byte.
    pub offset: usize,
    /// The offending byte.
    pub byte: u8,
}

/// Decodes the bytes of a mounted text file: UTF-8 when they are valid UTF-8 (a leading byte-order
/// mark is dropped), otherwise Latin-1 (ISO-8859-1), which is what Java itself reads.
///
/// Every byte sequence is Latin-1 in principle, so "text" is decided by the absence of control
/// characters other than tab, line feed, form feed and carriage return (and, for Latin-1, of the
/// C1 controls `0x80..=0x9f`, which real Latin-1 text never holds).
///
/// # Errors
/// [`NotText`] naming the first control byte.
pub fn decode_text(bytes: &[u8]) -> Result<String, NotText> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Some(offset) = first_control(bytes) {
            return Err(NotText {
                offset,
                byte: bytes[offset],
            });
        }
        return Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_owned());
    }
    if let Some(offset) = bytes
        .iter()
        .position(|&b| is_control(b) || (0x80..=0x9f).contains(&b))
    {
        return Err(NotText {
            offset,
            byte: bytes[offset],
        });
    }
    Ok(bytes.iter().map(|&b| char::from(b)).collect())
}

/// Whether `byte` is a control character a text file does not hold: C0 other than tab, line
/// feed, carriage return and form feed, and DEL.
fn is_control(byte: u8) -> bool {
    byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r' | 0x0c) || byte == 0x7f
}

/// The offset of the first [control byte](is_control) in `bytes`: a word's bytes are looked at
/// only when it holds a byte below `0x20` (a line end, mostly) or DEL.
fn first_control(bytes: &[u8]) -> Option<usize> {
    byte_scan::position(
        bytes,
        |word| byte_scan::any_below(word, 0x20) || byte_scan::any_equal(word, 0x7f),
        is_control,
    )
}

/// One line of a properties file as kept for re-rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// A comment line, kept verbatim (without its line terminator).
    Comment(String),
    /// A line holding only blanks.
    Blank,
    /// A key and its (decoded) value.
    Entry { key: String, value: String },
}

/// An ordered map of property keys to values that also keeps comment and blank lines.
///
/// Each key appears once: [`Properties::set`] replaces a value in place, and [`parse`] keeps the
/// position of a key's first occurrence with the value of its last one (Java's last-wins rule).
#[derive(Debug, Clone, Default)]
pub struct Properties {
    lines: Vec<Line>,
    /// The position of each entry in `lines` by its key, so that merging hundreds of keys stays
    /// linear; the keys themselves are read from `lines`, not copied.
    index: KeyIndex,
    duplicates: Vec<DuplicateKey>,
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        // The index follows from the lines.
        self.lines == other.lines && self.duplicates == other.duplicates
    }
}

impl Eq for Properties {}

/// The key of an entry line.
fn entry_key(line: &Line) -> Option<&str> {
    match line {
        Line::Entry { key, .. } => Some(key),
        Line::Comment(_) | Line::Blank => None,
    }
}

/// A hash table of positions in a list of lines, looked up by the key of the entry there.
#[derive(Debug, Clone, Default)]
struct KeyIndex(hashbrown::HashTable<usize>);

impl KeyIndex {
    fn hash(key: &str) -> u64 {
        use std::hash::BuildHasher as _;
        rustc_hash::FxBuildHasher.hash_one(key)
    }

    /// The position of the entry of `key`.
    fn get(&self, lines: &[Line], key: &str) -> Option<usize> {
        self.0
            .find(Self::hash(key), |&position| {
                entry_key(&lines[position]) == Some(key)
            })
            .copied()
    }

    /// Records that the entry of `key`, not in the table yet, is at `position`.
    fn insert(&mut self, lines: &[Line], key: &str, position: usize) {
        self.0.insert_unique(Self::hash(key), position, |&other| {
            Self::hash(entry_key(&lines[other]).unwrap_or_default())
        });
    }

    /// Forgets the entry of `key` and returns its position; the positions after it move down
    /// by one, as the line is about to be removed.
    fn remove(&mut self, lines: &[Line], key: &str) -> Option<usize> {
        let entry = self
            .0
            .find_entry(Self::hash(key), |&position| {
                entry_key(&lines[position]) == Some(key)
            })
            .ok()?;
        let (position, _) = entry.remove();
        for later in self.0.iter_mut() {
            if *later > position {
                *later -= 1;
            }
        }
        Some(position)
    }

    fn reserve(&mut self, lines: &[Line], additional: usize) {
        self.0.reserve(additional, |&position| {
            Self::hash(entry_key(&lines[position]).unwrap_or_default())
        });
    }
}

/// A key that a parsed file sets more than once (Java keeps the last value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key.
    pub key: String,
    /// The 1-based line of the occurrence that wins.
    pub line: usize,
}

/// Parses `.properties` text with the semantics of `java.util.Properties.load`.
///
/// # Errors
/// [`PropertiesError::MalformedUnicodeEscape`] for a `\u` escape Java rejects.
pub fn parse(text: &str) -> Result<Properties, PropertiesError> {
    Properties::parse(text)
}

/// Every `key=value` entry of `.properties` text in file order, a key set twice listed twice
/// (before Java's last-wins rule applies), read with the semantics of [`parse`].
///
/// # Errors
/// [`PropertiesError::MalformedUnicodeEscape`] for a `\u` escape Java rejects.
pub fn entries(text: &str) -> Result<Vec<(String, String)>, PropertiesError> {
    LogicalLines::new(text)
        .filter(|logical| logical.kind == LogicalKind::Entry)
        .map(|logical| split_entry(&logical))
        .collect()
}

impl Properties {
    /// An empty set of properties.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `.properties` text with the semantics of `java.util.Properties.load`; see [`parse`].
    ///
    /// # Errors
    /// [`PropertiesError::MalformedUnicodeEscape`] for a `\u` escape Java rejects.
    pub fn parse(text: &str) -> Result<Self, PropertiesError> {
        let mut properties = Self::new();
        let lines = byte_scan::count(text.as_bytes(), b'\n') + 1;
        properties.lines.reserve(lines);
        properties.index.reserve(&properties.lines, lines);
        for logical in LogicalLines::new(text) {
            match logical.kind {
                LogicalKind::Comment => properties
                    .lines
                    .push(Line::Comment(logical.text.into_owned())),
                LogicalKind::Blank => properties.lines.push(Line::Blank),
                LogicalKind::Entry => {
                    let (key, value) = split_entry(&logical)?;
                    properties.set_parsed(key, value, logical.line);
                }
            }
        }
        Ok(properties)
    }

    /// Sets a parsed entry, taking its strings: in place, as a duplicate, when the key exists.
    fn set_parsed(&mut self, key: String, value: String, line: usize) {
        if let Some(position) = self.index.get(&self.lines, &key) {
            if let Some(Line::Entry { value: v, .. }) = self.lines.get_mut(position) {
                *v = value;
            }
            self.duplicates.push(DuplicateKey { key, line });
            return;
        }
        self.push_entry(key, value);
    }

    /// Appends the entry of a key not set yet.
    fn push_entry(&mut self, key: String, value: String) {
        self.lines.push(Line::Entry { key, value });
        let position = self.lines.len() - 1;
        if let Some(key) = entry_key(&self.lines[position]) {
            self.index.insert(&self.lines, key, position);
        }
    }

    /// The value of `key`, if set.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        match self.lines.get(self.index.get(&self.lines, key)?) {
            Some(Line::Entry { value, .. }) => Some(value.as_str()),
            Some(Line::Comment(_) | Line::Blank) | None => None,
        }
    }

    /// Sets `key` to `value`, in place when the key exists, otherwise appended at the end.
    pub fn set(&mut self, key: &str, value: &str) {
        self.set_owned(key.to_owned(), value.to_owned());
    }

    /// Sets `key` to `value` as [`Properties::set`] does, taking the strings instead of copying
    /// them.
    pub fn set_owned(&mut self, key: String, value: String) {
        if let Some(position) = self.index.get(&self.lines, &key)
            && let Some(Line::Entry { value: v, .. }) = self.lines.get_mut(position)
        {
            *v = value;
            return;
        }
        self.push_entry(key, value);
    }

    /// Makes room for `additional` more entries, so that adding them moves nothing.
    pub fn reserve(&mut self, additional: usize) {
        self.lines.reserve(additional);
        self.index.reserve(&self.lines, additional);
    }

    /// Removes `key`, returning its value if it was set.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let position = self.index.remove(&self.lines, key)?;
        match self.lines.remove(position) {
            Line::Entry { value, .. } => Some(value),
            Line::Comment(_) | Line::Blank => None,
        }
    }

    /// The entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.iter().filter_map(|line| match line {
            Line::Entry { key, value } => Some((key.as_str(), value.as_str())),
            Line::Comment(_) | Line::Blank => None,
        })
    }

    /// The entries in file order, taken out of the properties instead of copied.
    pub fn into_entries(self) -> impl Iterator<Item = (String, String)> {
        self.lines.into_iter().filter_map(|line| match line {
            Line::Entry { key, value } => Some((key, value)),
            Line::Comment(_) | Line::Blank => None,
        })
    }

    /// The number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is no entry (comments and blank lines do not count).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Keys that the parsed text set more than once, with the line of the winning occurrence.
    #[must_use]
    pub fn duplicates(&self) -> &[DuplicateKey] {
        &self.duplicates
    }

    /// Renders the file: comments and blank lines as read, each entry as `key=value` escaped so that
    /// `java.util.Properties.load` reads back exactly this key and value. Ends with a newline
    /// unless empty.
    #[must_use]
    pub fn render(&self) -> String {
        // Sized for the text without escapes (nearly always all of it): a buffer grown by
        // doubling left as much again behind in freed copies.
        let unescaped_len = self
            .lines
            .iter()
            .map(|line| match line {
                Line::Comment(text) => text.len() + 1,
                Line::Blank => 1,
                Line::Entry { key, value } => key.len() + value.len() + 2,
            })
            .sum();
        let mut out = String::with_capacity(unescaped_len);
        for line in &self.lines {
            match line {
                Line::Comment(text) => out.push_str(text),
                Line::Blank => {}
                Line::Entry { key, value } => {
                    escape_into(&mut out, key, true);
                    out.push('=');
                    escape_into(&mut out, value, false);
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Escapes a key for a `.properties` file: like a value, plus every blank and the characters
/// `=`, `:`, `#` and `!`, which would otherwise end the key or start a comment.
#[must_use]
pub fn escape_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    escape_into(&mut out, key, true);
    out
}

/// Escapes a value for a `.properties` file: backslash, tab, newline, carriage return and form
/// feed, a leading space (Java drops blanks before a value), other control characters and every
/// non-ASCII character as `\uXXXX`.
#[must_use]
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value, false);
    out
}

/// For each byte: bit 0 set when a value may hold it as it is (printable ASCII other than the
/// backslash), bit 1 when a key may (also not a blank, `=`, `:`, `#` or `!`).
const PLAIN: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = b' ';
    while byte <= b'~' {
        table[byte as usize] = match byte {
            b'\\' => 0,
            b' ' | b'=' | b':' | b'#' | b'!' => 1,
            _ => 3,
        };
        byte += 1;
    }
    table
};

/// Whether `byte` is written as it is, in a key or in a value (see [`PLAIN`]).
fn is_plain(byte: u8, is_key: bool) -> bool {
    PLAIN[usize::from(byte)] & if is_key { 2 } else { 1 } != 0
}

/// Whether every byte of `bytes` is [plain](is_plain): eight bytes at a time.
fn all_plain(bytes: &[u8], is_key: bool) -> bool {
    // Printable ASCII other than the backslash; a key also without ` `, `!`, `#`, `:`, `=`.
    let may_hold_special = |word| {
        byte_scan::any_below(word, if is_key { b'!' + 1 } else { b' ' })
            || byte_scan::any_above(word, b'~')
            || byte_scan::any_equal(word, b'\\')
            || is_key
                && (byte_scan::any_equal(word, b'#')
                    || byte_scan::any_equal(word, b':')
                    || byte_scan::any_equal(word, b'='))
    };
    byte_scan::position(bytes, may_hold_special, |byte| !is_plain(byte, is_key)).is_none()
}

/// Appends `text` escaped (see [`escape_key`] and [`escape_value`]) to `out`. Most keys and
/// values need no escape and are copied whole.
fn escape_into(out: &mut String, text: &str, is_key: bool) {
    if !text.starts_with(' ') && all_plain(text.as_bytes(), is_key) {
        out.push_str(text);
        return;
    }
    for (index, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{0c}' => out.push_str("\\f"),
            ' ' if is_key || index == 0 => out.push_str("\\ "),
            '=' | ':' | '#' | '!' if is_key => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0_u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogicalKind {
    Comment,
    Blank,
    Entry,
}

/// A logical line: natural lines joined by continuations, leading blanks dropped, with the
/// continuation backslashes removed (escapes are still encoded).
struct LogicalLine<'a> {
    kind: LogicalKind,
    /// The line's text: borrowed from the input when it is one natural line as read.
    text: Cow<'a, str>,
    line: usize,
    /// Whether the line is an entry known to hold no backslash, so that nothing in it needs
    /// decoding (the fast path's lines).
    backslash_free: bool,
}

/// Splits text into logical lines the way `java.util.Properties.LineReader` does.
struct LogicalLines<'a> {
    chars: std::str::Chars<'a>,
    line: usize,
}

impl<'a> LogicalLines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.chars(),
            line: 1,
        }
    }

    /// The next character, not consumed.
    fn peek(&self) -> Option<char> {
        self.chars.clone().next()
    }

    /// Consumes a line terminator starting with `c` (`\r\n` counts as one).
    fn end_natural_line(&mut self, c: char) {
        if c == '\r' && self.peek() == Some('\n') {
            self.chars.next();
        }
        self.line += 1;
    }

    /// The next logical line when it is a single terminated natural line that is blank, a
    /// comment, or an entry without a backslash (almost every line): taken whole instead of
    /// character by character, with the same result as [`Iterator::next`]'s general path.
    /// `None` (nothing consumed) leaves the line to that path.
    fn next_simple(&mut self) -> Option<LogicalLine<'a>> {
        let rest = self.chars.as_str();
        let end = byte_scan::find_either(rest.as_bytes(), b'\n', b'\r')?;
        let natural = &rest[..end];
        let content = natural.trim_start_matches(is_blank);
        let (kind, text) = if content.is_empty() {
            (LogicalKind::Blank, Cow::Borrowed(""))
        } else if content.starts_with(['#', '!']) {
            // A comment keeps its indent, as the general path does.
            (LogicalKind::Comment, Cow::Borrowed(natural))
        } else if content.contains('\\') {
            return None;
        } else {
            (LogicalKind::Entry, Cow::Borrowed(content))
        };
        let start = self.line;
        self.chars = rest[end..].chars();
        if let Some(terminator) = self.chars.next() {
            self.end_natural_line(terminator);
        }
        Some(LogicalLine {
            kind,
            text,
            line: start,
            backslash_free: kind == LogicalKind::Entry,
        })
    }
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{0c}')
}

impl<'a> Iterator for LogicalLines<'a> {
    type Item = LogicalLine<'a>;

    /// Mirrors `java.util.Properties.LineReader.readLine` (JDK 9 and later): a `#` or `!` starts a
    /// comment whenever the logical line is still empty, even after a continuation, and a logical
    /// line that is empty at its end is skipped rather than read as an empty key.
    fn next(&mut self) -> Option<LogicalLine<'a>> {
        if let Some(simple) = self.next_simple() {
            return Some(simple);
        }
        // Room for a typical line up front: growing one character at a time reallocated
        // each line several times.
        let mut text = String::with_capacity(96);
        let mut indent = String::new();
        let mut skip_blanks = true;
        let mut appended_line_begin = false;
        let mut preceding_backslash = false;
        let mut start = self.line;
        loop {
            let Some(c) = self.chars.next() else {
                if text.is_empty() {
                    return None;
                }
                // At end of input a dangling continuation backslash is dropped.
                if preceding_backslash {
                    text.pop();
                }
                return Some(LogicalLine {
                    kind: LogicalKind::Entry,
                    text: Cow::Owned(text),
                    line: start,
                    backslash_free: false,
                });
            };
            if skip_blanks {
                if is_blank(c) {
                    indent.push(c);
                    continue;
                }
                if !appended_line_begin && (c == '\n' || c == '\r') {
                    self.end_natural_line(c);
                    return Some(LogicalLine {
                        kind: LogicalKind::Blank,
                        text: Cow::Borrowed(""),
                        line: start,
                        backslash_free: false,
                    });
                }
                skip_blanks = false;
                appended_line_begin = false;
            }
            if text.is_empty() && (c == '#' || c == '!') {
                // A comment runs to the end of its natural line; a final backslash does not continue it.
                let mut comment = std::mem::take(&mut indent);
                comment.push(c);
                while let Some(c) = self.chars.next() {
                    if c == '\n' || c == '\r' {
                        self.end_natural_line(c);
                        break;
                    }
                    comment.push(c);
                }
                return Some(LogicalLine {
                    kind: LogicalKind::Comment,
                    text: Cow::Owned(comment),
                    line: start,
                    backslash_free: false,
                });
            }
            if c != '\n' && c != '\r' {
                text.push(c);
                preceding_backslash = c == '\\' && !preceding_backslash;
                continue;
            }
            let crlf = c == '\r' && self.peek() == Some('\n');
            self.end_natural_line(c);
            if text.is_empty() {
                skip_blanks = true;
                indent.clear();
                start = self.line;
            } else if preceding_backslash {
                text.pop();
                // Java checks for end of input right after the `\n` or lone `\r`, before it
                // treats the backslash as a continuation, so `key\<newline><EOF>` is still read
                // (an empty `\<newline><EOF>` line even as the key ""); after `\r\n` it does not.
                if !crlf && self.peek().is_none() {
                    return Some(LogicalLine {
                        kind: LogicalKind::Entry,
                        text: Cow::Owned(text),
                        line: start,
                        backslash_free: false,
                    });
                }
                preceding_backslash = false;
                skip_blanks = true;
                appended_line_begin = true;
                indent.clear();
            } else {
                return Some(LogicalLine {
                    kind: LogicalKind::Entry,
                    text: Cow::Owned(text),
                    line: start,
                    backslash_free: false,
                });
            }
        }
    }
}

/// The bytes that can end a key or escape the next one: `=`, `:`, the blanks and `\\`.
const KEY_STOP: [bool; 256] = {
    let mut table = [false; 256];
    table[b'=' as usize] = true;
    table[b':' as usize] = true;
    table[b' ' as usize] = true;
    table[b'\t' as usize] = true;
    table[0x0c] = true;
    table[b'\\' as usize] = true;
    table
};

/// Splits a logical line into its decoded key and value (`Properties.load0`).
///
/// Works on byte offsets: every character it looks for (`=`, `:`, blanks, `\\`) is ASCII, so an
/// offset next to one is always a character boundary.
fn split_entry(logical: &LogicalLine<'_>) -> Result<(String, String), PropertiesError> {
    let (line, line_number) = (logical.text.as_ref(), logical.line);
    let bytes = line.as_bytes();
    let is_blank_byte = |b: u8| matches!(b, b' ' | b'\t' | 0x0c);
    // Up to the first byte the loop below must look at; no backslash comes before it.
    let mut key_len = bytes
        .iter()
        .position(|&b| KEY_STOP[usize::from(b)])
        .unwrap_or(bytes.len());
    let mut value_start = bytes.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    while key_len < bytes.len() {
        let b = bytes[key_len];
        if (b == b'=' || b == b':') && !preceding_backslash {
            value_start = key_len + 1;
            has_separator = true;
            break;
        } else if is_blank_byte(b) && !preceding_backslash {
            value_start = key_len + 1;
            break;
        }
        preceding_backslash = b == b'\\' && !preceding_backslash;
        key_len += 1;
    }
    while value_start < bytes.len() {
        let b = bytes[value_start];
        if !is_blank_byte(b) {
            if !has_separator && (b == b'=' || b == b':') {
                has_separator = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    let (key, value) = (&line[..key_len], &line[value_start..]);
    if logical.backslash_free {
        return Ok((key.to_owned(), value.to_owned()));
    }
    Ok((unescape(key, line_number)?, unescape(value, line_number)?))
}

/// Decodes escapes (`Properties.loadConvert`), collecting UTF-16 units so that `\uD83D\uDE00`
/// pairs become one character; an unpaired surrogate becomes U+FFFD.
fn unescape(text: &str, line: usize) -> Result<String, PropertiesError> {
    if !text.contains('\\') {
        return Ok(text.to_owned());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut units: Vec<u16> = Vec::with_capacity(chars.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        index += 1;
        if c != '\\' {
            let mut buf = [0_u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let Some(&escaped) = chars.get(index) else {
            break;
        };
        index += 1;
        let decoded = match escaped {
            'u' => {
                let digits = chars
                    .get(index..index + 4)
                    .ok_or(PropertiesError::MalformedUnicodeEscape { line })?;
                let mut unit: u16 = 0;
                for digit in digits {
                    let value = digit
                        .to_digit(16)
                        .ok_or(PropertiesError::MalformedUnicodeEscape { line })?;
                    // Four hex digits fit in 16 bits.
                    unit = (unit << 4) | u16::try_from(value).unwrap_or(0);
                }
                index += 4;
                units.push(unit);
                continue;
            }
            't' => '\t',
            'r' => '\r',
            'n' => '\n',
            'f' => '\u{0c}',
            other => other,
        };
        let mut buf = [0_u16; 2];
        units.extend_from_slice(decoded.encode_utf16(&mut buf));
    }
    Ok(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String)> {
        parse(text)
            .expect("valid properties")
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn equals_colon_and_blank_separate_key_from_value() {
        assert_eq!(
            entries("a=1\nb:2\nc 3\nd = 4\ne : 5\nf\t6\ng  =  7"),
            vec![
                pair("a", "1"),
                pair("b", "2"),
                pair("c", "3"),
                pair("d", "4"),
                pair("e", "5"),
                pair("f", "6"),
                pair("g", "7")
            ]
        );
    }

    #[test]
    fn only_first_separator_counts() {
        assert_eq!(entries("a==b"), vec![pair("a", "=b")]);
        assert_eq!(entries("a = = b"), vec![pair("a", "= b")]);
        assert_eq!(entries("a b=c"), vec![pair("a", "b=c")]);
    }

    #[test]
    fn key_without_value_is_empty_string() {
        assert_eq!(
            entries("lonely\nother="),
            vec![pair("lonely", ""), pair("other", "")]
        );
    }

    #[test]
    fn comments_start_with_hash_or_bang_after_blanks() {
        let parsed = parse("# one\n  ! two\na=1 # not a comment").expect("valid");
        assert_eq!(parsed.get("a"), Some("1 # not a comment"));
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed.render(), "# one\n  ! two\na=1 # not a comment\n");
    }

    #[test]
    fn into_entries_gives_the_entries_in_order_without_comments() {
        let mut parsed = parse("# head\nb=2\n\na=1\nb=3").expect("valid");
        parsed.set("c", "4");
        assert_eq!(
            parsed.into_entries().collect::<Vec<_>>(),
            vec![pair("b", "3"), pair("a", "1"), pair("c", "4")]
        );
    }

    #[test]
    fn comment_ending_in_backslash_does_not_continue() {
        assert_eq!(entries("# comment \\\na=1"), vec![pair("a", "1")]);
    }

    #[test]
    fn continuation_joins_lines_and_drops_leading_blanks() {
        assert_eq!(
            entries("a=one \\\n    two\\\n\tthree"),
            vec![pair("a", "one twothree")]
        );
    }

    #[test]
    fn even_backslashes_do_not_continue() {
        assert_eq!(
            entries("a=x\\\\\nb=y"),
            vec![pair("a", "x\\"), pair("b", "y")]
        );
    }

    #[test]
    fn continuation_line_starting_with_hash_is_value_not_comment() {
        assert_eq!(entries("a=1\\\n#2"), vec![pair("a", "1#2")]);
    }

    #[test]
    fn empty_continuation_line_ends_logical_line() {
        assert_eq!(
            entries("a=1\\\n\nb=2"),
            vec![pair("a", "1"), pair("b", "2")]
        );
    }

    #[test]
    fn hash_after_continuation_of_an_empty_line_is_a_comment() {
        // As JDK 9+ `LineReader`: the logical line is still empty, so `#` starts a comment.
        assert_eq!(entries("\\\n# not a key\nx=1"), vec![pair("x", "1")]);
    }

    #[test]
    fn logical_line_empty_after_continuation_is_skipped() {
        assert_eq!(
            entries("=kept\n\\\n\nnext"),
            vec![pair("", "kept"), pair("next", "")]
        );
    }

    #[test]
    fn dangling_backslash_at_end_of_input_is_dropped() {
        assert_eq!(entries("a=1\\"), vec![pair("a", "1")]);
    }

    #[test]
    fn cr_and_crlf_end_lines() {
        assert_eq!(
            entries("a=1\rb=2\r\nc=3"),
            vec![pair("a", "1"), pair("b", "2"), pair("c", "3")]
        );
        assert_eq!(entries("a=1\\\r\n  2"), vec![pair("a", "12")]);
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(
            entries("k\\ ey\\=x\\:y=t\\tn\\nr\\rf\\fq\\q\\\\"),
            vec![pair("k ey=x:y", "t\tn\nr\rf\u{0c}qq\\")]
        );
    }

    #[test]
    fn unicode_escapes_and_surrogate_pairs_are_decoded() {
        assert_eq!(entries("a=\\u00e9\\uD83D\\uDE00"), vec![pair("a", "é😀")]);
    }

    #[test]
    fn malformed_unicode_escape_names_line() {
        assert_eq!(
            parse("a=1\n\nb=\\u12G4"),
            Err(PropertiesError::MalformedUnicodeEscape { line: 3 })
        );
        assert_eq!(
            parse("b=\\u12"),
            Err(PropertiesError::MalformedUnicodeEscape { line: 1 })
        );
    }

    #[test]
    fn last_key_wins_at_first_position() {
        let parsed = parse("a=1\nb=2\na=3").expect("valid");
        assert_eq!(parsed.render(), "a=3\nb=2\n");
        assert_eq!(
            parsed.duplicates(),
            &[DuplicateKey {
                key: "a".into(),
                line: 3
            }]
        );
    }

    #[test]
    fn set_replaces_in_place_and_appends_new_keys() {
        let mut parsed = parse("# head\na=1\nb=2\n").expect("valid");
        parsed.set("a", "9");
        parsed.set("c", "3");
        assert_eq!(parsed.render(), "# head\na=9\nb=2\nc=3\n");
        assert_eq!(parsed.remove("b"), Some("2".to_owned()));
        assert_eq!(parsed.render(), "# head\na=9\nc=3\n");
        assert_eq!(
            (parsed.get("a"), parsed.get("b"), parsed.get("c")),
            (Some("9"), None, Some("3"))
        );
        parsed.set("c", "4");
        assert_eq!(parsed.render(), "# head\na=9\nc=4\n");
    }

    #[test]
    fn set_owned_does_what_set_does() {
        let mut by_reference = parse("# head\na=1\nb=2\n").expect("valid");
        let mut owned = by_reference.clone();
        owned.reserve(2);
        for (key, value) in [("a", "9"), ("c", "3 with\ttab"), ("c", "4")] {
            by_reference.set(key, value);
            owned.set_owned(key.to_owned(), value.to_owned());
        }
        assert_eq!(owned, by_reference);
        assert_eq!(owned.render(), "# head\na=9\nb=2\nc=4\n");
    }

    #[test]
    fn writer_escapes_what_java_would_misread() {
        let mut props = Properties::new();
        props.set("a key=:#!", "  lead\\back\nnew\tline é 😀");
        assert_eq!(
            props.render(),
            "a\\ key\\=\\:\\#\\!=\\  lead\\\\back\\nnew\\tline \\u00E9 \\uD83D\\uDE00\n"
        );
    }

    #[test]
    fn writer_keeps_listener_values_readable() {
        let mut props = Properties::new();
        props.set("listeners", "PLAINTEXT://:9092,CONTROLLER://0.0.0.0:9093");
        assert_eq!(
            props.render(),
            "listeners=PLAINTEXT://:9092,CONTROLLER://0.0.0.0:9093\n"
        );
    }

    #[test]
    fn decode_text_accepts_utf8_and_latin1() {
        assert_eq!(decode_text("é=1\n".as_bytes()), Ok("é=1\n".to_owned()));
        assert_eq!(decode_text(b"\xe9=1\n"), Ok("é=1\n".to_owned()));
        assert_eq!(decode_text(b"\xef\xbb\xbfa=1"), Ok("a=1".to_owned()));
    }

    #[test]
    fn decode_text_rejects_binary() {
        assert_eq!(decode_text(b"a=1\0"), Err(NotText { offset: 3, byte: 0 }));
        assert_eq!(
            decode_text(b"\xfe\x81"),
            Err(NotText {
                offset: 1,
                byte: 0x81
            })
        );
    }

    mod round_trip {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn word_scans_agree_with_byte_scans(bytes in proptest::collection::vec(prop_oneof![9 => 0x20u8..0x7f, 1 => any::<u8>()], 0..40)) {
                for is_key in [false, true] {
                    prop_assert_eq!(all_plain(&bytes, is_key), bytes.iter().all(|&b| is_plain(b, is_key)));
                }
                prop_assert_eq!(first_control(&bytes), bytes.iter().position(|&b| is_control(b)));
            }

            #[test]
            fn value_written_then_read_is_unchanged(key in "\\PC{0,12}|[ =:#!\\\\\t\n]{1,4}", value in any::<String>()) {
                prop_assume!(!key.is_empty());
                let mut props = Properties::new();
                props.set(&key, &value);
                let text = props.render();
                prop_assert!(text.is_ascii());
                let back = parse(&text).expect("rendered text parses");
                prop_assert_eq!(back.iter().collect::<Vec<_>>(), vec![(key.as_str(), value.as_str())]);
            }

            #[test]
            fn parse_never_panics(text in any::<String>()) {
                let _ = parse(&text);
            }

            #[test]
            fn parse_render_parse_is_stable(text in "[a-c =:#!\\\\\n\r\tu0-9]{0,40}") {
                if let Ok(first) = parse(&text) {
                    let rendered = first.render();
                    let second = parse(&rendered).expect("rendered text parses");
                    prop_assert_eq!(first.iter().collect::<Vec<_>>(), second.iter().collect::<Vec<_>>());
                    prop_assert_eq!(second.render(), rendered);
                }
            }
        }
    }
}
