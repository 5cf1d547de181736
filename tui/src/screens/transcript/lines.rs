//! A transcript's messages as lines of text: who and when, the delivery state of ours,
//! the text wrapped to the width, quick replies and failures; and the amounts the
//! owner types at the sale prompt.

use std::fmt::Write as _;

use closer_core::model::{DeliveryState, Message, Sender, Timestamp};
use ratatui::text::{Line, Span};

use crate::theme::Theme;

/// A message as lines: who and when (with the delivery state of ours), then the text
/// wrapped to `width`, then a blank line.
pub(super) fn message_lines(
    message: &Message,
    width: usize,
    theme: Theme,
    now: Timestamp,
) -> Vec<Line<'static>> {
    let (who, style) = match message.sender {
        Sender::Customer => ("Customer", theme.customer()),
        Sender::Ai => ("AI", theme.ai()),
        Sender::Business => ("You", theme.owner()),
    };
    let mut header = vec![
        Span::styled(who, style),
        Span::styled(format!(" · {}", when(message.sent_at, now)), theme.dim()),
    ];
    if message.sender != Sender::Customer {
        let (state, style) = match message.delivery {
            DeliveryState::Received => ("", theme.dim()),
            DeliveryState::Pending | DeliveryState::Sending => (" · sending", theme.dim()),
            DeliveryState::Sent => (" · sent", theme.dim()),
            DeliveryState::Delivered => (" · delivered", theme.dim()),
            DeliveryState::Read => (" · read", theme.good()),
            DeliveryState::Failed => (" · FAILED", theme.alert()),
        };
        header.push(Span::styled(state, style));
    }
    let mut lines = vec![Line::from(header)];
    let mut text = closer_client::clean(&message.text);
    for attachment in &message.attachments {
        let _ = write!(text, " [{}]", closer_client::clean(&attachment.kind));
    }
    lines.extend(wrap(&text, width.max(8)).into_iter().map(|line| Line::raw(format!("  {line}"))));
    if !message.quick_replies.is_empty() {
        let titles: Vec<String> = message
            .quick_replies
            .iter()
            .map(|reply| format!("[{}]", closer_client::clean(&reply.title)))
            .collect();
        lines.push(Line::styled(format!("  {}", titles.join(" ")), theme.dim()));
    }
    if let Some(error) = message.error.as_ref().filter(|_| message.delivery == DeliveryState::Failed) {
        lines.push(Line::styled(format!("  not delivered: {}", closer_client::clean(error)), theme.alert()));
    }
    lines.push(Line::raw(""));
    lines
}

/// `text` in lines of at most `width - 2` characters, broken between words where it
/// can be.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let room = width.saturating_sub(2).max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut length = 0;
    for word in text.split(' ').filter(|word| !word.is_empty()) {
        let word_length = word.chars().count();
        if word_length > room {
            // A word longer than a line is cut; its end starts the next line.
            if length > 0 {
                lines.push(std::mem::take(&mut line));
                length = 0;
            }
            for c in word.chars() {
                if length == room {
                    lines.push(std::mem::take(&mut line));
                    length = 0;
                }
                line.push(c);
                length += 1;
            }
            continue;
        }
        if length > 0 && length + 1 + word_length > room {
            lines.push(std::mem::take(&mut line));
            length = 0;
        }
        if length > 0 {
            line.push(' ');
            length += 1;
        }
        line.push_str(word);
        length += word_length;
    }
    if length > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// "14:02" today, "24 Nov 14:02" another day (UTC, as closerd counts days).
pub(super) fn when(at: Timestamp, now: Timestamp) -> String {
    let at = at.as_datetime();
    if at.date_naive() == now.date() {
        at.format("%H:%M").to_string()
    } else {
        at.format("%-d %b %H:%M").to_string()
    }
}

/// Minor units as "49.90 EUR".
pub(super) fn money(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let amount = amount_minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", amount / 100, amount % 100)
}

/// "49.90", "49,90", "49" → minor units (two decimals: the chat's currency is
/// closerd's to know); anything else a message to show.
pub fn parse_amount(text: &str) -> Result<i64, String> {
    if text.trim().is_empty() {
        return Err("type the order value, such as 49.90".into());
    }
    closer_core::model::money::parse_minor(text, "").map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_minor_units_and_anything_else_is_explained() {
        assert_eq!(parse_amount("49.90"), Ok(4990));
        assert_eq!(parse_amount(" 49,9 "), Ok(4990));
        assert_eq!(parse_amount("120"), Ok(12_000));
        for bad in ["abc", "-5", "1.2.3", ".5", "99999999999999999999"] {
            let error = parse_amount(bad).expect_err(bad);
            assert!(error.contains("not an amount"), "{bad}: {error}");
        }
        assert!(parse_amount("4.999").expect_err("decimals").contains("too many decimals"));
        assert!(parse_amount("  ").expect_err("empty").contains("type the order value"));
    }

    #[test]
    fn wrapping_breaks_between_words_and_cuts_long_ones() {
        assert_eq!(wrap("the quick brown fox", 12), ["the quick", "brown fox"]);
        assert_eq!(wrap("abcdefghijkl", 7), ["abcde", "fghij", "kl"]);
        assert_eq!(wrap("", 10), [""]);
    }
}
