//! Prices as the owner types and reads them ("24.90" in EUR) and as closerd keeps them
//! (minor units: 2490): `closer_core`'s rules, shared with `closer`.

use closer_core::model::Money;

pub use closer_core::model::money::format_minor;

/// "24.90" in EUR is 2490; a refusal says what to type instead.
pub fn parse_minor(text: &str, currency: &str) -> Result<i64, String> {
    closer_core::model::money::parse_minor(text, currency).map_err(|error| error.to_string())
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
        assert!(parse_minor("abc", "EUR").expect_err("letters").contains("is not an amount"));
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
