//! Amounts as people type and read them ("49.90 EUR") and as the API keeps them
//! (minor units: 4990).

use crate::error::{CliError, Result};

/// Digits after the decimal point in `currency` (ISO 4217): 2 for most.
fn exponent(currency: &str) -> u32 {
    const NONE: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
        "XOF", "XPF",
    ];
    const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    let currency = currency.to_ascii_uppercase();
    if NONE.contains(&currency.as_str()) {
        0
    } else if THREE.contains(&currency.as_str()) {
        3
    } else {
        2
    }
}

/// "49.90" in EUR is 4990; refuses more decimals than the currency has, and signs.
pub fn parse_minor(text: &str, currency: &str) -> Result<i64> {
    let digits = exponent(currency);
    let bad = || {
        CliError::Usage(format!(
            "bad amount {text:?}: expected a number such as 49.90 (at most {digits} decimals in {currency})"
        ))
    };
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let is_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) || fraction.len() > digits as usize {
        return Err(bad());
    }
    let padded = format!("{whole}{fraction:0<width$}", width = digits as usize);
    padded.parse::<i64>().map_err(|_| bad())
}

/// 4990 in EUR is "49.90".
pub fn format_minor(amount: i64, currency: &str) -> String {
    let digits = exponent(currency);
    let sign = if amount < 0 { "-" } else { "" };
    let amount = amount.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{amount}");
    }
    let scale = 10u64.pow(digits);
    format!("{sign}{}.{:0width$}", amount / scale, amount % scale, width = digits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip() {
        assert_eq!(parse_minor("49.90", "EUR").ok(), Some(4990));
        assert_eq!(parse_minor("24.9", "eur").ok(), Some(2490));
        assert_eq!(parse_minor("25", "EUR").ok(), Some(2500));
        assert_eq!(parse_minor("500", "JPY").ok(), Some(500));
        assert!(parse_minor("1.234", "EUR").is_err());
        assert!(parse_minor("-1", "EUR").is_err());
        assert!(parse_minor("1,50", "EUR").is_err());
        assert!(parse_minor("", "EUR").is_err());
        assert_eq!(format_minor(2490, "EUR"), "24.90");
        assert_eq!(format_minor(5, "EUR"), "0.05");
        assert_eq!(format_minor(-150, "EUR"), "-1.50");
        assert_eq!(format_minor(500, "JPY"), "500");
    }
}
