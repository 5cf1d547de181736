//! Amounts as people type and read them ("49.90 EUR") and as the API keeps them
//! (minor units: 4990): `closer_core`'s rules, with closer's usage error.

use crate::error::{CliError, Result};

pub use closer_core::model::money::format_minor;

/// "49.90" in EUR is 4990 (a comma works too); anything else is a usage error that
/// says what to type.
pub fn parse_minor(text: &str, currency: &str) -> Result<i64> {
    closer_core::model::money::parse_minor(text, currency)
        .map_err(|error| CliError::Usage(format!("bad amount: {error}")))
}
