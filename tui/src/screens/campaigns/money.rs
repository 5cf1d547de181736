//! Prices as the owner types and reads them ("24.90" in EUR) and as closerd keeps them
//! (minor units: 2490), with as many decimals as the currency has.

use closer_core::model::Money;

/// Digits after the decimal point in `currency` (ISO 4217): 2 for most; as the CLI
/// counts them, so a price typed here reads back the same there.
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

/// "24.90" in EUR is 2490. A comma is taken for the decimal point, as many owners
/// type it; signs, letters and more decimals than the currency has are refused with
/// what to type instead.
pub fn parse_minor(text: &str, currency: &str) -> Result<i64, String> {
    let digits = exponent(currency);
    let text = text.trim();
    let example = if digits == 0 { "500" } else { "24.90" };
    let problem = || format!("\"{text}\" is not a price: type a number such as {example}");
    let (whole, fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let is_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) {
        return Err(problem());
    }
    if fraction.len() > digits as usize {
        return Err(format!("\"{text}\" has too many decimals: {currency} has {digits}"));
    }
    let padded = format!("{whole}{fraction:0<width$}", width = digits as usize);
    padded.parse::<i64>().map_err(|_| problem())
}

/// 2490 in EUR is "24.90".
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

/// "24.90 EUR".
pub fn price(money: &Money) -> String {
    format!("{} {}", format_minor(money.amount_minor, &money.currency), money.currency)
}

/// Revenue in minor units of the business's currency, which the figures do not name:
/// two decimals, as the dashboard shows it.
pub fn revenue(minor: i64) -> String {
    format_minor(minor, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_round_trip_with_the_currency_s_decimals() {
        assert_eq!(parse_minor("24.90", "EUR"), Ok(2490));
        assert_eq!(parse_minor(" 24,9 ", "EUR"), Ok(2490));
        assert_eq!(parse_minor("25", "EUR"), Ok(2500));
        assert_eq!(parse_minor("500", "JPY"), Ok(500));
        assert!(parse_minor("abc", "EUR").expect_err("letters").contains("is not a price"));
        assert!(parse_minor("-1", "EUR").is_err());
        assert!(parse_minor("", "EUR").is_err());
        assert!(parse_minor("1.234", "EUR").expect_err("decimals").contains("EUR has 2"));
        assert!(parse_minor("99999999999999999999", "EUR").is_err());
        assert_eq!(format_minor(2490, "EUR"), "24.90");
        assert_eq!(format_minor(5, "EUR"), "0.05");
        assert_eq!(format_minor(500, "JPY"), "500");
        assert_eq!(price(&Money { amount_minor: 2490, currency: "EUR".into() }), "24.90 EUR");
        assert_eq!(revenue(7470), "74.70");
    }
}
