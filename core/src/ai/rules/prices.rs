//! The price guard: every amount of money in a reply is found (`€4.50`, `4,50 €`,
//! `USD 10`, `10 dollars`) and any that is not the campaign's own price is replaced
//! before the reply leaves. Documents mention other prices (a delivery fee, last
//! year's menu); the customer must only ever be quoted the campaign's.

use std::ops::Range;

use crate::model::Money;

/// What replaces an amount the campaign does not state.
pub const WITHHELD: &str = "(price on request)";

/// Currency codes recognised next to a number, besides the campaign's own.
const CODES: &[&str] = &[
    "EUR", "USD", "GBP", "BRL", "JPY", "CHF", "CAD", "AUD", "NZD", "MXN", "ARS", "CLP", "COP", "INR", "CNY",
    "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "ZAR",
];

/// Symbols, longest first so that `R$` is not read as `$`.
const SYMBOLS: &[(&str, &str)] =
    &[("US$", "USD"), ("R$", "BRL"), ("€", "EUR"), ("$", "USD"), ("£", "GBP"), ("¥", "JPY"), ("₹", "INR")];

/// Words written after a number.
const WORDS: &[(&str, &str)] = &[
    ("euros", "EUR"),
    ("euro", "EUR"),
    ("dollars", "USD"),
    ("dollar", "USD"),
    ("reais", "BRL"),
    ("pesos", "MXN"),
    ("quid", "GBP"),
    ("pounds", "GBP"),
];

/// An amount of money in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// Byte range of the amount with its currency mark.
    pub range: Range<usize>,
    pub currency: String,
    /// The number as written ("1,250.00").
    pub number: String,
}

impl Amount {
    /// Whether this is `price`: the same currency and the same value.
    pub fn is(&self, price: &Money) -> bool {
        self.currency == price.currency
            && minor_units(&self.number, &price.currency) == Some(price.amount_minor)
    }
}

/// `text` with every amount other than `allowed` replaced by [`WITHHELD`].
pub fn withhold_other_prices(text: &str, allowed: Option<&Money>) -> String {
    let found = amounts(text, allowed.map(|m| m.currency.as_str()));
    if found.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for amount in found {
        if allowed.is_some_and(|price| amount.is(price)) {
            continue;
        }
        // "(USD 19.99)" becomes "(price on request)", not "((price on request))".
        let mut range = amount.range;
        if text[..range.start].ends_with('(') && text[range.end..].starts_with(')') {
            range = range.start - 1..range.end + 1;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(WITHHELD);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Every amount of money in `text`, in order. `extra_code` is also recognised as a
/// currency code (the campaign's, when it is not a common one).
pub fn amounts(text: &str, extra_code: Option<&str>) -> Vec<Amount> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.'));
        if !starts_number {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len()
            && (bytes[end].is_ascii_digit()
                || ((bytes[end] == b'.' || bytes[end] == b',')
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)))
        {
            end += 1;
        }
        let number = &text[i..end];
        let before = mark_before(&text[..i], extra_code);
        let after = mark_after(&text[end..], extra_code);
        if let Some((len, currency)) = before {
            found.push(Amount { range: i - len..end, currency, number: number.to_owned() });
        } else if let Some((len, currency)) = after {
            found.push(Amount { range: i..end + len, currency, number: number.to_owned() });
        }
        i = end;
    }
    found
}

/// The currency mark just before a number (one space allowed): its length with the
/// space, and the currency code.
fn mark_before(head: &str, extra_code: Option<&str>) -> Option<(usize, String)> {
    let trimmed = head.strip_suffix(' ').or_else(|| head.strip_suffix('\u{a0}')).unwrap_or(head);
    let space = head.len() - trimmed.len();
    for (symbol, code) in SYMBOLS {
        if trimmed.ends_with(symbol) {
            return Some((symbol.len() + space, (*code).to_owned()));
        }
    }
    let word_start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &trimmed[word_start..];
    (space > 0 && is_code(word, extra_code)).then(|| (word.len() + space, word.to_ascii_uppercase()))
}

/// The currency mark just after a number (one space allowed).
fn mark_after(tail: &str, extra_code: Option<&str>) -> Option<(usize, String)> {
    let trimmed = tail.strip_prefix(' ').or_else(|| tail.strip_prefix('\u{a0}')).unwrap_or(tail);
    let space = tail.len() - trimmed.len();
    for (symbol, code) in SYMBOLS {
        if trimmed.starts_with(symbol) {
            return Some((space + symbol.len(), (*code).to_owned()));
        }
    }
    let word_end = trimmed.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(trimmed.len());
    let word = &trimmed[..word_end];
    if space > 0 && is_code(word, extra_code) {
        return Some((space + word.len(), word.to_ascii_uppercase()));
    }
    let lower = word.to_ascii_lowercase();
    WORDS.iter().find(|(w, _)| *w == lower).map(|(_, code)| (space + word.len(), (*code).to_owned()))
}

fn is_code(word: &str, extra_code: Option<&str>) -> bool {
    word.len() == 3
        && (CODES.iter().any(|c| c.eq_ignore_ascii_case(word))
            || extra_code.is_some_and(|c| c.eq_ignore_ascii_case(word)))
}

/// The value of a written number in minor units of `currency`: "34.90", "34,90",
/// "1,250.00", "1.250,00" and "25" all read as people mean them. `None` when it has
/// more decimals than the currency.
pub fn minor_units(number: &str, currency: &str) -> Option<i64> {
    let digits = match currency {
        "JPY" | "KRW" | "CLP" | "ISK" | "VND" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    };
    // The last separator is the decimal point when one or two digits follow it (three
    // for currencies with three decimals); otherwise every separator groups thousands.
    let (whole, fraction) = match number.rfind(['.', ',']) {
        Some(at)
            if (1..=2).contains(&(number.len() - at - 1)) || (digits == 3 && number.len() - at - 1 == 3) =>
        {
            (&number[..at], &number[at + 1..])
        }
        _ => (number, ""),
    };
    if fraction.len() > digits {
        return None;
    }
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    // "34.9" is 34.90: the fraction is padded to the currency's digits.
    let padded = format!("{fraction:0<digits$}");
    let fraction: i64 = if padded.is_empty() { 0 } else { padded.parse().ok()? };
    let scale = 10i64.pow(u32::try_from(digits).ok()?);
    whole.checked_mul(scale)?.checked_add(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(amount_minor: i64) -> Money {
        Money { amount_minor, currency: "EUR".into() }
    }

    #[test]
    fn every_way_of_writing_money_is_found() {
        let text =
            "€4.50, 4,50 € and EUR 10 or 10 eur, R$ 20,00, $1,250.00, 7 dollars; not 7:30 nor iPhone 15";
        let found: Vec<(&str, String)> =
            amounts(text, None).into_iter().map(|a| (&text[a.range.clone()], a.currency)).collect();
        let expected = [
            ("€4.50", "EUR"),
            ("4,50 €", "EUR"),
            ("EUR 10", "EUR"),
            ("10 eur", "EUR"),
            ("R$ 20,00", "BRL"),
            ("$1,250.00", "USD"),
            ("7 dollars", "USD"),
        ];
        assert_eq!(found, expected.map(|(t, c)| (t, c.to_owned())));
        assert!(amounts("Rua dos Remédios 42, Alfama", None).is_empty(), "an accent before a number");
        assert_eq!(amounts("Remédios €42", None).len(), 1);
    }

    #[test]
    fn only_the_campaign_price_survives() {
        let text = "The cake is €34.90; delivery costs €4.50 (free over 60 EUR).";
        assert_eq!(
            withhold_other_prices(text, Some(&eur(3490))),
            "The cake is €34.90; delivery costs (price on request) (free over (price on request))."
        );
        assert_eq!(withhold_other_prices("34,90 €", Some(&eur(3490))), "34,90 €");
        assert_eq!(
            withhold_other_prices("the Galaxy line (USD 19.99)", None),
            "the Galaxy line (price on request)"
        );
        let dollars = Money { amount_minor: 3490, currency: "USD".into() };
        assert_eq!(withhold_other_prices("€34.90", Some(&dollars)), WITHHELD, "same number, other currency");
        assert_eq!(withhold_other_prices("€34.90", None), WITHHELD, "no campaign, no price");
    }

    #[test]
    fn numbers_read_as_people_mean_them() {
        assert_eq!(minor_units("34.90", "EUR"), Some(3490));
        assert_eq!(minor_units("34,9", "EUR"), Some(3490));
        assert_eq!(minor_units("1,250.00", "USD"), Some(125_000));
        assert_eq!(minor_units("1.250,00", "EUR"), Some(125_000));
        assert_eq!(minor_units("1,250", "USD"), Some(125_000));
        assert_eq!(minor_units("500", "JPY"), Some(500));
        assert_eq!(minor_units("5.5", "JPY"), None);
        assert_eq!(minor_units(&"9".repeat(40), "EUR"), None, "no overflow");
    }
}
