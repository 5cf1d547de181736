//! Reading the TOML file, with errors that point at the key as well as the line.
//!
//! The `toml` crate reports a byte span but not which key it belongs to; the key is what
//! a person searches for, so we find it by walking the spanned document.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::{Config, ConfigError};

pub(super) fn read(path: &Path) -> Result<Config, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|error| ConfigError::Read { path: path.to_owned(), error })?;
    parse(&text, path)
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        let (line, column) = line_and_column(text, span.start);
        ConfigError::File {
            path: path.to_owned(),
            key: key_at(text, &span),
            line,
            column,
            message: humanize(error.message()),
        }
    })
}

/// serde's wording with the words of a config file: a "field" is a key, and nobody
/// writing a config file should have to know what a `u64` is.
pub(super) fn humanize(message: &str) -> String {
    message
        .trim_end()
        .replace("unknown field", "unknown key")
        .replace("expected u64", "expected a whole number, 0 or more")
        .replace("expected u32", "expected a whole number from 0 to 4294967295")
}

/// One-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The dotted key whose name or value covers `span`, if the text parses as TOML at all.
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let document = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    find_in_table(document.get_ref(), span, &mut path).then(|| path.join("."))
}

/// Pushes onto `path` the keys leading to `span`; whether it was found. Tables are
/// always searched, because a `[section]` header's span does not cover its keys.
fn find_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<String>) -> bool {
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        if covers(&key.span(), span) {
            return true;
        }
        match value.get_ref() {
            DeValue::Table(inner) if find_in_table(inner, span, path) => return true,
            _ if covers(&value.span(), span) => return true,
            _ => {}
        }
        path.pop();
    }
    false
}

fn covers(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}
