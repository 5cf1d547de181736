//! Amounts as people type and read them ("24.90" in EUR) and as closerd keeps them
//! (minor units: 2490), with as many decimals as the currency has. The command line
//! and the console share these, so a price typed in one reads back the same in the
//! other.

/// Digits after the decimal point in `currency` (ISO 4217): 2 for most, and for a
/// currency not given.
pub fn exponent(currency: &str) -> u32 {
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

/// Why a typed amount was refused, in words that say what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{text:?} is not an amount: type a number such as {example}")]
    NotANumber { text: String, example: &'static str },
    #[error("{text:?} has too many decimals: {currency} has {digits}")]
    TooManyDecimals { text: String, currency: String, digits: u32 },
}

/// "24.90" in EUR is 2490. A comma is taken for the decimal point, as many owners type
/// it ("1,500" is refused for its three decimals rather than read as thousands); signs,
/// letters and more decimals than the currency has are refused.
pub fn parse_minor(text: &str, currency: &str) -> Result<i64, AmountError> {
    let digits = exponent(currency);
    let text = text.trim();
    let example = if digits == 0 { "500" } else { "24.90" };
    let not_a_number = || AmountError::NotANumber { text: text.to_owned(), example };
    let (whole, fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let is_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) {
        return Err(not_a_number());
    }
    if fraction.len() > digits as usize {
        let currency = if currency.is_empty() { "the currency".to_owned() } else { currency.to_uppercase() };
        return Err(AmountError::TooManyDecimals { text: text.to_owned(), currency, digits });
    }
    let padded = format!("{whole}{fraction:0<width$}", width = digits as usize);
    padded.parse::<i64>().map_err(|_| not_a_number())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_with_the_currency_s_decimals() {
        assert_eq!(parse_minor("24.90", "EUR"), Ok(2490));
        assert_eq!(parse_minor(" 24,9 ", "eur"), Ok(2490));
        assert_eq!(parse_minor("25", "EUR"), Ok(2500));
        assert_eq!(parse_minor("500", "JPY"), Ok(500));
        assert_eq!(parse_minor("1.5", ""), Ok(150));
        for bad in ["abc", "-1", "", ".5", "1.2.3", "99999999999999999999"] {
            let error = parse_minor(bad, "EUR").expect_err(bad);
            assert!(error.to_string().contains("is not an amount"), "{bad}: {error}");
        }
        assert_eq!(
            parse_minor("1,500", "EUR").expect_err("3 decimals").to_string(),
            "\"1,500\" has too many decimals: EUR has 2"
        );
        assert!(parse_minor("5.5", "JPY").is_err());
        assert_eq!(format_minor(2490, "EUR"), "24.90");
        assert_eq!(format_minor(5, "EUR"), "0.05");
        assert_eq!(format_minor(-150, "EUR"), "-1.50");
        assert_eq!(format_minor(500, "JPY"), "500");
        assert_eq!(format_minor(1_234, "KWD"), "1.234");
    }
}
