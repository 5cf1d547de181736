//! Validation errors and the checks the model types share.
//!
//! Validation lives on the types so that an invalid value is refused before it reaches
//! a store, whichever door it came in by (HTTP, CLI, console, webhook).

use std::fmt;

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooLong { max_chars: usize },
    TooMany { max_items: usize },
    Negative,
    Malformed { expected: &'static str },
    NotAllowed { reason: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max_chars } => write!(f, "must be at most {max_chars} characters"),
            Self::TooMany { max_items } => write!(f, "must have at most {max_items} entries"),
            Self::Negative => f.write_str("must not be negative"),
            Self::Malformed { expected } => write!(f, "is not valid: expected {expected}"),
            Self::NotAllowed { reason } => f.write_str(reason),
        }
    }
}

/// A value refused by the model, naming the field (`product.price`) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct ValidationError {
    pub field: String,
    pub problem: Problem,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self { field: field.into(), problem }
    }
}

pub type Validated = Result<(), ValidationError>;

/// A required text: not blank, at most `max_chars` characters.
pub fn required(field: &str, value: &str, max_chars: usize) -> Validated {
    if value.trim().is_empty() {
        return Err(ValidationError::new(field, Problem::Empty));
    }
    optional(field, value, max_chars)
}

/// An optional text (empty means unset): at most `max_chars` characters.
pub fn optional(field: &str, value: &str, max_chars: usize) -> Validated {
    if value.chars().count() > max_chars {
        return Err(ValidationError::new(field, Problem::TooLong { max_chars }));
    }
    Ok(())
}

/// A list of at most `max_items` required texts of at most `max_chars` each.
pub fn list(field: &str, items: &[String], max_items: usize, max_chars: usize) -> Validated {
    if items.len() > max_items {
        return Err(ValidationError::new(field, Problem::TooMany { max_items }));
    }
    for (i, item) in items.iter().enumerate() {
        required(&format!("{field}[{i}]"), item, max_chars)?;
    }
    Ok(())
}

/// The longest name we accept: longer is a paste accident, not a name.
pub const NAME_MAX: usize = 200;
/// The longest free text (descriptions, messages in a flow).
pub const TEXT_MAX: usize = 5_000;
