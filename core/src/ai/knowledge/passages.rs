//! Turning the business's facts into passages: documents split by Markdown headings
//! and paragraphs into bounded pieces that keep their heading, plus passages written
//! from the business information and from each campaign.
//!
//! Passages are bounded because retrieval quotes them to customers (a reply is read on
//! a phone) and because the BM25 scorer's cost grows with passage length.

use std::fmt::Write as _;

use crate::model::{BusinessInfo, Campaign, Money};

use super::Passage;

/// A passage grows paragraph by paragraph up to this many bytes; a longer paragraph is
/// cut at sentence ends, a longer sentence at a space.
pub(super) const MAX_PASSAGE_BYTES: usize = 800;

/// Headings deeper than this are folded into their parent's context: a path of three
/// says where a passage sits without drowning it.
const MAX_HEADING_DEPTH: usize = 3;

/// The source name of a campaign's passages, so responders can keep to one campaign.
pub fn campaign_source(campaign_name: &str) -> String {
    format!("campaign:{campaign_name}")
}

/// A price as customers read it: `€24.90`, `$1,250.00`, `¥500`, or `24.90 CHF` for a
/// currency without a well-known symbol. Every responder formats prices this one way,
/// so the price a customer sees always reads the same.
pub fn price_text(money: &Money) -> String {
    let code = money.currency.as_str();
    let digits = minor_digits(code);
    let scale = 10u64.pow(digits);
    let amount = money.amount_minor.unsigned_abs();
    let sign = if money.amount_minor < 0 { "-" } else { "" };
    let whole = group_thousands(amount / scale);
    let number = if digits == 0 {
        whole
    } else {
        format!("{whole}.{:0width$}", amount % scale, width = digits as usize)
    };
    match currency_symbol(code) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {code}"),
    }
}

/// The symbol customers know a currency by, for the currencies where one is unambiguous
/// enough to write alone.
pub fn currency_symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "BRL" => "R$",
        "JPY" => "¥",
        "INR" => "₹",
        _ => return None,
    })
}

/// Digits after the decimal point in ISO 4217 (the exceptions to two).
fn minor_digits(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND"
        | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The business information as passages (one, or more for a long description).
pub fn business(info: &BusinessInfo) -> Vec<Passage> {
    let name = info.business_name.trim();
    let mut about = String::new();
    if !name.is_empty() {
        about.push_str(name);
        if !info.industry.trim().is_empty() {
            let _ = write!(about, " ({})", info.industry.trim());
        }
        about.push_str(". ");
    }
    about.push_str(info.description.trim());
    for (label, value) in [("Owner", &info.owner_name), ("Website", &info.website), ("Phone", &info.phone)] {
        if !value.trim().is_empty() {
            let _ = write!(about, "\n{label}: {}", value.trim());
        }
    }
    let heading = if name.is_empty() { "About us".to_owned() } else { format!("About {name}") };
    let mut passages = Vec::new();
    push_bounded(&mut passages, "business", Some(&heading), about.trim());
    passages
}

/// A campaign as passages: the product with its price, its features, its chat flow.
pub fn campaign(campaign: &Campaign) -> Vec<Passage> {
    let source = campaign_source(&campaign.name);
    let product = &campaign.product;
    let name = if product.name.trim().is_empty() { campaign.name.trim() } else { product.name.trim() };
    let mut passages = Vec::new();

    let mut about = format!("{name}: {}", product.description.trim());
    if let Some(price) = &product.price {
        let _ = write!(about, "\nPrice: {}", price_text(price));
    }
    push_bounded(&mut passages, &source, Some(name), about.trim());

    if !product.features.is_empty() {
        let features: Vec<String> = product.features.iter().map(|f| format!("- {}", f.trim())).collect();
        let heading = format!("{name} > Features");
        push_bounded(&mut passages, &source, Some(&heading), &features.join("\n"));
    }

    let flow = &campaign.flow;
    let mut steps = Vec::new();
    if !flow.greeting.trim().is_empty() {
        steps.push(flow.greeting.trim().to_owned());
    }
    for q in &flow.qualification_questions {
        if q.options.is_empty() {
            steps.push(q.question.trim().to_owned());
        } else {
            steps.push(format!("{} ({})", q.question.trim(), q.options.join(", ")));
        }
    }
    if !flow.closing_message.trim().is_empty() {
        steps.push(flow.closing_message.trim().to_owned());
    }
    if !steps.is_empty() {
        let heading = format!("{name} > Chat flow");
        push_bounded(&mut passages, &source, Some(&heading), &steps.join("\n"));
    }
    passages
}

/// A document (Markdown or plain text) split into passages under their headings.
pub fn document(source: &str, content: &str) -> Vec<Passage> {
    let mut passages = Vec::new();
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut heading_path: Option<String> = None;
    let mut block = String::new();
    let mut in_fence = false;

    for line in content.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence && let Some((level, title)) = heading(line) {
            flush(&mut passages, source, heading_path.as_deref(), &mut block);
            headings.retain(|(l, _)| *l < level);
            headings.push((level, title));
            let start = headings.len().saturating_sub(MAX_HEADING_DEPTH);
            let path: Vec<&str> = headings[start..].iter().map(|(_, t)| t.as_str()).collect();
            heading_path = Some(path.join(" > "));
            continue;
        }
        if trimmed.is_empty() {
            // A blank line ends a paragraph; paragraphs of one heading share a passage
            // while they fit, so a short answer keeps its neighbours for context.
            if !block.is_empty() && !block.ends_with("\n\n") {
                block.push_str("\n\n");
            }
            if block.len() >= MAX_PASSAGE_BYTES {
                flush(&mut passages, source, heading_path.as_deref(), &mut block);
            }
            continue;
        }
        let clean = plain(trimmed);
        if block.len() + clean.len() > MAX_PASSAGE_BYTES && !block.is_empty() {
            flush(&mut passages, source, heading_path.as_deref(), &mut block);
        }
        if !block.is_empty() && !block.ends_with('\n') {
            block.push('\n');
        }
        block.push_str(&clean);
    }
    flush(&mut passages, source, heading_path.as_deref(), &mut block);
    passages
}

/// `## Title ##` → (2, "Title"); not a heading → `None`. Markdown allows up to three
/// spaces of indent and needs a space after the hashes (`#hashtag` is text).
fn heading(line: &str) -> Option<(usize, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let title = after.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| (level, plain(title)))
}

/// Markdown emphasis and code marks removed: Messenger shows them as literal stars.
fn plain(line: &str) -> String {
    let line = line.strip_prefix("* ").map_or_else(|| line.to_owned(), |rest| format!("- {rest}"));
    line.replace("**", "").replace("__", "").replace('`', "")
}

fn flush(passages: &mut Vec<Passage>, source: &str, heading: Option<&str>, block: &mut String) {
    push_bounded(passages, source, heading, block.trim());
    block.clear();
}

/// Adds `text` as one passage, or as several when it is over the bound: cut at the
/// last sentence end before the bound, else the last space, else anywhere on a char
/// boundary (a megabyte without a space is still indexed, not refused).
fn push_bounded(passages: &mut Vec<Passage>, source: &str, heading: Option<&str>, text: &str) {
    let mut rest = text.trim();
    while !rest.is_empty() {
        let cut = if rest.len() <= MAX_PASSAGE_BYTES { rest.len() } else { cut_point(rest) };
        let (piece, tail) = rest.split_at(cut);
        let piece = piece.trim();
        if !piece.is_empty() {
            passages.push(Passage {
                source: source.to_owned(),
                heading: heading.map(str::to_owned),
                text: piece.to_owned(),
                score: 0.0,
            });
        }
        rest = tail.trim_start();
    }
}

fn cut_point(text: &str) -> usize {
    let mut limit = MAX_PASSAGE_BYTES;
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let window = &text[..limit];
    // Not before half the bound: a cut that leaves a crumb helps no one.
    let floor = MAX_PASSAGE_BYTES / 2;
    let sentence_end = window.rmatch_indices(['.', '!', '?', '\n']).map(|(i, _)| i + 1).find(|&i| i >= floor);
    sentence_end.or_else(|| window.rfind(' ').filter(|&i| i >= floor)).unwrap_or(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount_minor: i64, currency: &str) -> Money {
        Money { amount_minor, currency: currency.into() }
    }

    #[test]
    fn prices_read_with_their_currency() {
        assert_eq!(price_text(&money(2490, "EUR")), "€24.90");
        assert_eq!(price_text(&money(125_000, "USD")), "$1,250.00");
        assert_eq!(price_text(&money(5, "GBP")), "£0.05");
        assert_eq!(price_text(&money(500, "JPY")), "¥500");
        assert_eq!(price_text(&money(1500, "CHF")), "15.00 CHF");
        assert_eq!(price_text(&money(1234, "KWD")), "1.234 KWD");
        assert_eq!(price_text(&money(0, "BRL")), "R$0.00");
    }

    #[test]
    fn headings_give_context_and_paragraphs_group() {
        let doc = "# Delivery\n\nWe deliver in Lisbon.\n\nOrders before noon arrive today.\n\n\
                   ## Fees\nFree over forty.\n\n# Pickup\n\n```\n# not a heading\n```\nAt the shop.";
        let passages = document("delivery.md", doc);
        let view: Vec<(Option<&str>, &str)> =
            passages.iter().map(|p| (p.heading.as_deref(), p.text.as_str())).collect();
        assert_eq!(
            view,
            [
                (Some("Delivery"), "We deliver in Lisbon.\n\nOrders before noon arrive today."),
                (Some("Delivery > Fees"), "Free over forty."),
                (Some("Pickup"), "# not a heading\nAt the shop."),
            ]
        );
        assert!(passages.iter().all(|p| p.source == "delivery.md"));
    }

    #[test]
    fn long_text_is_cut_within_the_bound() {
        let sentence = "Our sourdough rests for two days before baking. ";
        let doc = format!("# Bread\n{}\n\n{}", sentence.repeat(60), "x".repeat(3 * MAX_PASSAGE_BYTES));
        let passages = document("bread.md", &doc);
        assert!(passages.len() > 5);
        for p in &passages {
            assert!(p.text.len() <= MAX_PASSAGE_BYTES, "{}", p.text.len());
            assert_eq!(p.heading.as_deref(), Some("Bread"));
        }
        assert!(passages[0].text.ends_with("baking."), "cut at a sentence end: {:?}", passages[0].text);
        let total: usize = passages.iter().map(|p| p.text.matches('x').count()).sum();
        assert_eq!(total, 3 * MAX_PASSAGE_BYTES, "nothing is lost");
    }

    #[test]
    fn multibyte_text_is_cut_on_char_boundaries() {
        let doc = "é".repeat(MAX_PASSAGE_BYTES * 2);
        let passages = document("accents.md", &doc);
        assert_eq!(passages.iter().map(|p| p.text.chars().count()).sum::<usize>(), MAX_PASSAGE_BYTES * 2);
    }

    #[test]
    fn hashtags_and_deep_indents_are_text() {
        assert_eq!(heading("#sale today"), None);
        assert_eq!(heading("    # code"), None);
        assert_eq!(heading("### Hours ###"), Some((3, "Hours".into())));
        assert_eq!(heading("#"), None);
    }
}
