//! How results reach stdout: one JSON document with `--json`; for people, aligned
//! tables on a terminal and tab-separated lines (no header) when piped; confirmations
//! of changes unless `--quiet`. Errors go to stderr, from `main`.

use std::fmt::Display;
use std::io::{self, IsTerminal as _, Write as _};

use serde_json::Value;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// `--json`: machine output, one document per command.
    pub json: bool,
    /// `--quiet`: no confirmations; requested data is still printed.
    pub quiet: bool,
    /// stdout is a terminal: tables are aligned and have a header.
    pub terminal: bool,
}

// Methods rather than free functions even where `self` is unused: every command
// writes through `ctx.out`, the one place that decides how output looks.
#[allow(clippy::unused_self)]
impl Output {
    pub fn new(json: bool, quiet: bool) -> Self {
        Self { json, quiet, terminal: io::stdout().is_terminal() }
    }

    /// `value` as one pretty JSON document.
    pub fn json(self, value: &Value) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)?;
        writeln!(stdout)?;
        stdout.flush()
    }

    /// `value` as one compact line: one of a stream of documents (JSON lines), for
    /// the commands that print as things happen.
    pub fn json_line(self, value: &Value) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        serde_json::to_writer(&mut stdout, value)?;
        writeln!(stdout)?;
        stdout.flush()
    }

    /// A line of data.
    pub fn line(self, text: impl Display) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "{text}")?;
        stdout.flush()
    }

    /// Text as it is (a CSV body): no line added.
    pub fn raw(self, text: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// What a change did: the object with `--json`, else `message` unless `--quiet`.
    pub fn changed(self, value: &Value, message: impl Display) -> io::Result<()> {
        if self.json {
            self.json(value)
        } else if self.quiet {
            Ok(())
        } else {
            self.line(message)
        }
    }

    /// Rows under a header: aligned on a terminal, tab-separated without the header
    /// when piped, so that `cut -f1` and `awk -F'\t'` work.
    pub fn table(self, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        let rows: Vec<Vec<String>> =
            rows.iter().map(|row| row.iter().map(|cell| clean(cell)).collect()).collect();
        let mut stdout = io::stdout().lock();
        if !self.terminal {
            for row in &rows {
                writeln!(stdout, "{}", row.join("\t"))?;
            }
            return stdout.flush();
        }
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
                }
            }
            writeln!(stdout, "{}", line.trim_end())?;
        }
        stdout.flush()
    }
}

pub use closer_client::clean;

/// A string field of a JSON object, or "" when absent.
pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

/// Any scalar field as text ("" when absent or null).
pub fn field(value: &Value, pointer: &str) -> String {
    match value.pointer(pointer) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}
