//! Fitting a reply into a platform's limits before it is sent: the platforms refuse a
//! message that breaks one (Messenger answers error 100), and a refused reply is a
//! customer left without an answer.
//!
//! Limits count characters (Unicode scalar values), as Messenger counts them, never
//! bytes: "é" and "🍰" are one each.

use crate::model::QuickReply;

/// Messenger's longest message text.
pub const MESSENGER_MAX_TEXT_CHARS: usize = 2000;

/// Messenger's longest quick-reply payload.
pub const MAX_QUICK_REPLY_PAYLOAD_CHARS: usize = 1000;

/// Where a long text may end a part, best first. A sentence end is only taken if the
/// part keeps at least half the limit: cutting "Hi. <1,990 more characters>" after
/// "Hi." would send a two-word message and then a full one.
const SENTENCE_ENDS: [char; 4] = ['.', '!', '?', '…'];
/// Ideographic full stops end a sentence with no space after them.
const CLOSED_SENTENCE_ENDS: [char; 3] = ['。', '！', '？'];

/// Splits `text` into parts of at most `max_chars` characters each, cutting at the end
/// of a sentence or line when there is one in the second half of a part, else between
/// words; only a single word longer than `max_chars` is cut inside (never inside a
/// character). Parts are trimmed and never empty; their words, in order, are the
/// text's. An empty or blank text gives no parts. A `max_chars` of 0 is taken as 1.
pub fn split_text(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (part, tail) = rest.split_at(cut_point(rest, max_chars));
        let part = part.trim_end();
        if !part.is_empty() {
            parts.push(part.to_owned());
        }
        rest = tail.trim_start();
    }
    parts
}

/// The byte offset at which the first part of `text` (which starts with no whitespace)
/// ends: `text.len()` when it all fits.
fn cut_point(text: &str, max_chars: usize) -> usize {
    // The offset just past `max_chars` characters; none when the text is that short.
    let Some((limit, _)) = text.char_indices().nth(max_chars) else {
        return text.len();
    };
    // Cut points are offsets where the part before is at most `limit` bytes long: the
    // character *at* `limit` is looked at (a space there is a word boundary), never kept.
    let mut sentence: Option<(usize, usize)> = None; // (offset, characters before)
    let mut word: Option<usize> = None;
    let mut previous: Option<char> = None;
    for (count, (offset, c)) in text.char_indices().take(max_chars + 1).enumerate() {
        if c.is_whitespace() {
            word = Some(offset);
            if c == '\n' || previous.is_some_and(|p| SENTENCE_ENDS.contains(&p)) {
                sentence = Some((offset, count));
            }
        } else if CLOSED_SENTENCE_ENDS.contains(&c) && offset + c.len_utf8() <= limit {
            sentence = Some((offset + c.len_utf8(), count + 1));
        }
        previous = Some(c);
    }
    match (sentence, word) {
        (Some((offset, count)), _) if count >= max_chars / 2 => offset,
        (_, Some(offset)) | (Some((offset, _)), None) => offset,
        (None, None) => limit,
    }
}

/// The quick replies as Messenger takes them: blank titles dropped, titles trimmed and
/// cut to [`QuickReply::MAX_TITLE_CHARS`], payloads cut to
/// [`MAX_QUICK_REPLY_PAYLOAD_CHARS`] (an empty payload becomes the title, since
/// Messenger requires one), and at most [`QuickReply::MAX_COUNT`] of them, the first.
pub fn fit_quick_replies(quick_replies: &[QuickReply]) -> Vec<QuickReply> {
    quick_replies
        .iter()
        .filter_map(|quick| {
            let title: String = quick.title.trim().chars().take(QuickReply::MAX_TITLE_CHARS).collect();
            let title = title.trim_end().to_owned();
            if title.is_empty() {
                return None;
            }
            let payload = if quick.payload.is_empty() {
                title.clone()
            } else {
                quick.payload.chars().take(MAX_QUICK_REPLY_PAYLOAD_CHARS).collect()
            };
            Some(QuickReply { title, payload })
        })
        .take(QuickReply::MAX_COUNT)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> usize {
        text.chars().count()
    }

    fn tail(text: &str) -> String {
        let skip = chars(text).saturating_sub(20);
        text.chars().skip(skip).collect()
    }

    /// Every non-space character, in order: what no split may lose or reorder.
    fn letters(text: &str) -> String {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    }

    fn assert_well_formed(text: &str, parts: &[String], max: usize) {
        for part in parts {
            assert!(chars(part) <= max, "{} chars > {max}: {part:?}", chars(part));
            assert!(!part.is_empty() && part.trim() == part, "{part:?}");
        }
        assert_eq!(letters(&parts.concat()), letters(text));
    }

    #[test]
    fn a_short_text_is_one_trimmed_part_and_a_blank_one_is_none() {
        assert_eq!(split_text("  Hello there!\n", 2000), ["Hello there!"]);
        assert!(split_text("", 2000).is_empty());
        assert!(split_text(" \n\t ", 2000).is_empty());
    }

    #[test]
    fn a_text_of_exactly_the_limit_is_not_split() {
        let text = "a".repeat(2000);
        assert_eq!(split_text(&text, 2000), [text]);
    }

    #[test]
    fn sentences_are_kept_whole_when_one_ends_late_enough() {
        let text = "The cake is ready. We deliver on Fridays! Do you want one?";
        assert_eq!(split_text(text, 45), ["The cake is ready. We deliver on Fridays!", "Do you want one?"]);
        assert_eq!(
            split_text(text, 25),
            ["The cake is ready.", "We deliver on Fridays!", "Do you want one?"]
        );
    }

    #[test]
    fn a_line_break_is_a_good_place_to_cut() {
        let text = "Prices:\nSmall cake 12 EUR\nLarge cake 25 EUR";
        assert_eq!(split_text(text, 30), ["Prices:\nSmall cake 12 EUR", "Large cake 25 EUR"]);
    }

    #[test]
    fn an_early_sentence_end_gives_way_to_a_word_boundary() {
        // Cutting after "Hi." would leave a 3-character part: the words fill it instead.
        let text = "Hi. this sentence goes on and on without an end";
        let parts = split_text(text, 20);
        assert_eq!(parts[0], "Hi. this sentence");
        assert_well_formed(text, &parts, 20);
    }

    #[test]
    fn words_are_never_cut_unless_one_is_longer_than_the_limit() {
        let text = "one two three four five six seven";
        assert_eq!(split_text(text, 9), ["one two", "three", "four five", "six seven"]);
        let long = format!("see {} now", "x".repeat(25));
        assert_eq!(split_text(&long, 10), ["see", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx now"]);
    }

    #[test]
    fn characters_are_counted_not_bytes_and_never_cut_inside() {
        // 2 bytes each, 4 bytes each: cut by bytes these would overflow or panic.
        let accents = "é".repeat(25);
        let parts = split_text(&accents, 10);
        assert_eq!(parts, ["é".repeat(10), "é".repeat(10), "é".repeat(5)]);
        let cakes = "🍰🎂🧁".repeat(7);
        let parts = split_text(&cakes, 4);
        assert_eq!(parts.len(), 6);
        assert_well_formed(&cakes, &parts, 4);
        let mixed = "Crème brûlée 🍮 à la française, très bon! Ça coûte 7 € — réservez 🙏.";
        for max in 1..=30 {
            assert_well_formed(mixed, &split_text(mixed, max), max);
        }
    }

    #[test]
    fn ideographic_sentence_ends_need_no_space() {
        let text = "蛋糕已经准备好了。我们星期五送货。你想要一个吗？";
        assert_eq!(split_text(text, 12), ["蛋糕已经准备好了。", "我们星期五送货。", "你想要一个吗？"]);
    }

    #[test]
    fn a_ten_thousand_character_reply_is_cut_at_sentences_into_messenger_sized_parts() {
        let sentence = "Our sourdough rests for 36 hours, so it keeps a week — ¿quieres una? 🍞. ";
        let text: String = sentence.repeat(10_000 / chars(sentence) + 1).chars().take(10_000).collect();
        let parts = split_text(&text, MESSENGER_MAX_TEXT_CHARS);
        assert_well_formed(&text, &parts, MESSENGER_MAX_TEXT_CHARS);
        assert_eq!(parts.len(), 6, "{:?}", parts.iter().map(|p| chars(p)).collect::<Vec<_>>());
        for part in &parts[..parts.len() - 1] {
            assert!(part.ends_with("🍞.") || part.ends_with("una?"), "ends {:?}", tail(part));
            assert!(chars(part) > MESSENGER_MAX_TEXT_CHARS / 2);
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        let joined = parts.join(" ");
        assert_eq!(joined.split_whitespace().collect::<Vec<_>>(), words);
    }

    /// Many random texts of words, accents, emoji, spaces, line breaks and sentence ends
    /// (a fixed generator, so a failure repeats): every part fits, nothing is lost, and a
    /// part that ends inside a word is a hard split of a word longer than the limit.
    #[test]
    fn random_texts_split_well() {
        const PIECES: [&str; 14] = [
            "word",
            "é",
            "🍰",
            "àçcénts",
            "averyveryverylongword",
            " ",
            "  ",
            "\n",
            ". ",
            "! ",
            "? ",
            "。",
            "x",
            "\t",
        ];
        let mut state: u64 = 0x5eed;
        let mut next = |below: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).expect("31 bits fit") % below
        };
        for _ in 0..2000 {
            let text: String = (0..next(60)).map(|_| PIECES[next(PIECES.len())]).collect();
            let max = 1 + next(30);
            let parts = split_text(&text, max);
            assert_well_formed(&text, &parts, max);
            // Where each part ends in the text: inside a word only for a hard split.
            let mut rest = text.trim_start();
            for part in &parts {
                assert!(rest.starts_with(part.as_str()), "{part:?} is not next in {rest:?}");
                rest = &rest[part.len()..];
                let inside_a_word = rest.chars().next().is_some_and(|c| !c.is_whitespace());
                let closed = part.ends_with(CLOSED_SENTENCE_ENDS);
                assert!(
                    !inside_a_word || closed || chars(part) == max,
                    "{part:?} cut inside a word though shorter than {max}, in {text:?}"
                );
                rest = rest.trim_start();
            }
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn a_limit_of_zero_is_one() {
        assert_eq!(split_text("ab c", 0), ["a", "b", "c"]);
    }

    fn quick(title: &str, payload: &str) -> QuickReply {
        QuickReply { title: title.to_owned(), payload: payload.to_owned() }
    }

    #[test]
    fn quick_replies_are_fitted_to_messengers_limits() {
        let many: Vec<QuickReply> =
            (0..20).map(|i| quick(&format!("Option {i}"), &format!("p{i}"))).collect();
        let fitted = fit_quick_replies(&many);
        assert_eq!(fitted.len(), QuickReply::MAX_COUNT);
        assert_eq!(fitted[0], quick("Option 0", "p0"));
        assert_eq!(fitted[12], quick("Option 12", "p12"));

        let fitted = fit_quick_replies(&[
            quick("  ", "blank"),
            quick("", "empty"),
            quick(" Crème brûlée à l'ancienne 🍮 ", "dessert"),
            quick("Yes", ""),
            quick("Long", &"é".repeat(1500)),
        ]);
        assert_eq!(fitted.len(), 3);
        assert_eq!(fitted[0].title, "Crème brûlée à l'anc");
        assert_eq!(chars(&fitted[0].title), QuickReply::MAX_TITLE_CHARS);
        assert_eq!(fitted[1], quick("Yes", "Yes"));
        assert_eq!(fitted[2].payload, "é".repeat(MAX_QUICK_REPLY_PAYLOAD_CHARS));
    }

    #[test]
    fn blank_titles_do_not_count_towards_the_thirteen() {
        let mut replies = vec![quick("", "x"); 5];
        replies.extend((0..13).map(|i| quick(&i.to_string(), "p")));
        let fitted = fit_quick_replies(&replies);
        assert_eq!(fitted.len(), 13);
        assert_eq!(fitted[12].title, "12");
    }
}
