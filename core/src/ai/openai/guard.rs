//! The price guard: a reply that states an amount of money found nowhere in the prompt
//! (the facts, the passages, the conversation) is refused, because the one thing the
//! AI must never do is invent a price. The fallback answers instead.
//!
//! Lenient on the facts, strict on the reply: any number in the prompt counts as known
//! (documents write "5 euros" as often as "€5"), while in the reply only numbers next
//! to a currency sign, an ISO code or a currency word count as prices. Leo's answers
//! are held to more: every number in them must be known ([`unknown_number`]).

use std::collections::HashSet;

const SYMBOLS: &[char] = &[
    '$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₫', '₱', '₪', '₦', '₴', '₵', '₲', '₡', '฿', '₭', '₮', '₸', '¢',
];
const WORDS: &[&str] = &[
    "dollar", "dollars", "euro", "euros", "pound", "pounds", "buck", "bucks", "reais", "real", "peso",
    "pesos", "yen", "rupee", "rupees", "franc", "francs",
];

/// Every number written in `texts`, in canonical form: the prices the reply may state.
pub(crate) fn known_numbers<'a>(texts: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    texts.into_iter().flat_map(|text| numbers(text).into_iter().map(|n| n.value)).collect()
}

/// The first amount of money in `reply` that is not among `known`.
pub(super) fn invented_price(reply: &str, known: &HashSet<String>) -> Option<String> {
    numbers(reply).into_iter().find(|n| n.is_money && !known.contains(&n.value)).map(|n| n.written)
}

/// The first number of any kind in `text` that is not among `known` (Leo's answers:
/// every figure must come from a tool's result).
pub(crate) fn unknown_number(text: &str, known: &HashSet<String>) -> Option<String> {
    numbers(text).into_iter().find(|n| !known.contains(&n.value)).map(|n| n.written)
}

#[derive(Debug)]
struct Number {
    /// As written, with its currency marker's side: for the error message.
    written: String,
    /// `1250`, `24.9`: grouping dropped, decimal comma or point, no trailing zeros.
    value: String,
    is_money: bool,
}

fn numbers(text: &str) -> Vec<Number> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || (matches!(chars[i], '.' | ',') && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        let is_money = marked(&chars[..start], true) || marked(&chars[i..], false);
        found.push(Number { written: token.clone(), value: canonical(&token), is_money });
    }
    found
}

/// Whether a currency marker touches the number (one space allowed between them).
/// `side` is the text before the number (`before`) or after it.
fn marked(side: &[char], before: bool) -> bool {
    let near: Vec<char> = if before {
        side.iter().rev().take(12).copied().collect::<Vec<_>>().into_iter().rev().collect()
    } else {
        side.iter().take(12).copied().collect()
    };
    let text: String = near.into_iter().collect();
    let text = if before { text.trim_end() } else { text.trim_start() };
    let (first, last) = (text.chars().next(), text.chars().last());
    if (before && last.is_some_and(|c| SYMBOLS.contains(&c)))
        || (!before && first.is_some_and(|c| SYMBOLS.contains(&c)))
    {
        return true;
    }
    let word = if before {
        text.rsplit(|c: char| !c.is_alphabetic()).next().unwrap_or("")
    } else {
        text.split(|c: char| !c.is_alphabetic()).next().unwrap_or("")
    };
    (word.len() == 3 && word.chars().all(|c| c.is_ascii_uppercase()))
        || WORDS.contains(&word.to_lowercase().as_str())
}

/// A separator followed by exactly three digits groups thousands (`1,250`, `1.250`);
/// any other last separator is the decimal one (`24.90`, `24,9`).
fn canonical(token: &str) -> String {
    let (whole, fraction) = match token.rfind(['.', ',']) {
        Some(at) if token.len() - at - 1 != 3 => (&token[..at], &token[at + 1..]),
        _ => (token, ""),
    };
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() { whole.to_owned() } else { format!("{whole}.{fraction}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(text: &str) -> HashSet<String> {
        known_numbers([text])
    }

    #[test]
    fn prices_from_the_facts_pass_in_any_writing() {
        let facts = known("Price: €1,250.00. Delivery 5 euros, free over $50. Pack of 3.");
        for reply in ["It's €1250!", "1.250,00 EUR", "only 5 €", "Free shipping over $50.00", "EUR 1,250"]
        {
            assert_eq!(invented_price(reply, &facts), None, "{reply}");
        }
    }

    #[test]
    fn invented_prices_are_caught() {
        let facts = known("Price: $29.99. Ships in 2 days.");
        assert_eq!(invented_price("Today only $19.99!", &facts).as_deref(), Some("19.99"));
        assert_eq!(invented_price("Two for 59.98 USD", &facts).as_deref(), Some("59.98"));
        assert_eq!(invented_price("That's 2 dollars off", &facts), None, "2 is in the facts");
        assert_eq!(invented_price("about 40 bucks", &facts).as_deref(), Some("40"));
    }

    #[test]
    fn numbers_without_a_currency_are_not_prices() {
        let facts = known("Price: $29.99.");
        assert_eq!(invented_price("Order 3 and get them in 48 hours, 100% cotton", &facts), None);
    }

    #[test]
    fn any_unknown_number_is_found() {
        let facts = known("42 messages, 95.2% answered, revenue 99.80 EUR");
        assert_eq!(unknown_number("42 messages (95.2%), 99.8 EUR", &facts), None);
        assert_eq!(unknown_number("about 96% answered", &facts).as_deref(), Some("96"));
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical("1,250"), "1250");
        assert_eq!(canonical("24,90"), "24.9");
        assert_eq!(canonical("1.250,00"), "1250");
        assert_eq!(canonical("007"), "7");
        assert_eq!(canonical("0.5"), "0.5");
    }
}
