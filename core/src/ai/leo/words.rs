//! The owner's question as words to compare: lower case, accents folded, and a slip of
//! the keyboard forgiven on longer words ("revenu", "yesterady", "campain").

/// Only the start of a question is read: a pasted essay costs no more than a question.
const MAX_WORDS: usize = 200;

/// Lower-cased, accent-folded words; apostrophes join ("what's" → "whats"), anything
/// else that is not a letter or a digit separates.
pub(super) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if matches!(c, '\'' | '’') {
            continue;
        }
        if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                word.push(fold(lower));
            }
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
            if out.len() == MAX_WORDS {
                return out;
            }
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The unaccented letter of the accented Latin letters owners type.
pub(super) fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        other => other,
    }
}

/// `word` is `keyword`, or one edit away from it when the keyword is long enough for
/// a typo to be told apart from another word (five letters or more) and the first
/// letter is right (a slip rarely hits it, and "whats" is not "chats").
pub(super) fn is(word: &str, keyword: &str) -> bool {
    word == keyword
        || (keyword.len() >= 5
            && word.chars().next() == keyword.chars().next()
            && edits_at_most_one(word, keyword))
}

/// Some word of `words` is one of `keywords`.
pub(super) fn any(words: &[String], keywords: &[&str]) -> bool {
    words.iter().any(|w| keywords.iter().any(|k| is(w, k)))
}

/// Some phrase (space-separated words) of `phrases` appears in `words`, in order.
pub(super) fn phrase(words: &[String], phrases: &[&str]) -> bool {
    phrases.iter().any(|p| find_phrase(words, p).is_some())
}

/// Where `phrase` starts in `words`.
pub(super) fn find_phrase(words: &[String], phrase: &str) -> Option<usize> {
    let parts: Vec<&str> = phrase.split(' ').collect();
    if parts.is_empty() || parts.len() > words.len() {
        return None;
    }
    (0..=words.len() - parts.len())
        .find(|&start| parts.iter().enumerate().all(|(i, p)| is(&words[start + i], p)))
}

/// Some word starts with one of `prefixes` ("summar" for summary, summarize…).
pub(super) fn prefix(words: &[String], prefixes: &[&str]) -> bool {
    words.iter().any(|w| prefixes.iter().any(|p| w.starts_with(p)))
}

const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// A small number written in digits or in words ("7", "seven", "thirty").
pub(super) fn number(word: &str) -> Option<u32> {
    if let Ok(n) = word.parse::<u32>() {
        return Some(n);
    }
    if let Some(n) = NUMBER_WORDS.iter().position(|w| *w == word) {
        return u32::try_from(n).ok();
    }
    match word {
        "thirty" => Some(30),
        "sixty" => Some(60),
        "ninety" => Some(90),
        _ => None,
    }
}

/// Optimal string alignment distance ≤ 1: one insertion, deletion, substitution or
/// swap of neighbours.
fn edits_at_most_one(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (shorter, longer) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    match longer.len() - shorter.len() {
        0 => {
            let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match differ.as_slice() {
                [] | [_] => true,
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                _ => false,
            }
        }
        1 => {
            let first = (0..shorter.len()).find(|&i| shorter[i] != longer[i]).unwrap_or(shorter.len());
            shorter[first..] == longer[first + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_accents_and_apostrophes() {
        assert_eq!(words("What's the REVENUE, João?"), ["whats", "the", "revenue", "joao"]);
        assert!(words(&"word ".repeat(1_000)).len() <= MAX_WORDS);
    }

    #[test]
    fn one_slip_is_forgiven_on_long_words_only() {
        for (typed, meant) in [
            ("revenu", "revenue"),
            ("yesterady", "yesterday"),
            ("campain", "campaign"),
            ("mesages", "messages"),
            ("todya", "today"),
        ] {
            assert!(is(typed, meant), "{typed} → {meant}");
        }
        assert!(!is("hat", "hot"), "short words must match exactly");
        assert!(!is("whats", "chats"), "the first letter must be right");
        assert!(!is("week", "weak"));
        assert!(!is("revenues", "rev"));
    }

    #[test]
    fn numbers_in_digits_and_words() {
        assert_eq!(number("14"), Some(14));
        assert_eq!(number("seven"), Some(7));
        assert_eq!(number("thirty"), Some(30));
        assert_eq!(number("lots"), None);
    }
}
