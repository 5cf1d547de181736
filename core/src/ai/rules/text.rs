//! Reading a customer's message the way a person would: case, accents, emojis and
//! stretched letters ("hiii", "Olá", "BOA TARDE 🙂") do not change the words, and one
//! slip of the keyboard ("prise", "shiping", "avaliable") still finds the word meant.

/// Only the start of a message is read: questions come first, and a pasted 10,000
/// characters must cost no more than a normal message.
pub const MAX_MESSAGE_BYTES: usize = 2_000;

/// The words of a message, in order, at most this many.
const MAX_WORDS: usize = 120;

/// A message as words, ready to compare.
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// Lower case, accents folded, apostrophes dropped ("what's" → "whats").
    pub plain: Vec<String>,
    /// The same words with repeated letters squashed ("hellooo" → "helo"), which is
    /// how keywords are compared.
    pub squashed: Vec<String>,
}

impl Words {
    pub fn of(text: &str) -> Self {
        let plain = words(text);
        let squashed = plain.iter().map(|w| squash(w)).collect();
        Self { plain, squashed }
    }

    pub fn is_empty(&self) -> bool {
        self.plain.is_empty()
    }
}

/// `text` cut to at most `max` bytes on a char boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Lower-cased, accent-folded words; everything that is not a letter or digit
/// separates words, except apostrophes, which join ("don't" → "dont").
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == '\'' || c == '’' {
            continue;
        }
        let mut pushed = false;
        for lower in c.to_lowercase() {
            if let Some(folded) = fold(lower) {
                word.push_str(folded);
                pushed = true;
            } else if lower.is_alphanumeric() {
                word.push(lower);
                pushed = true;
            }
        }
        if !pushed && !word.is_empty() {
            out.push(spelled_out(std::mem::take(&mut word)));
            if out.len() == MAX_WORDS {
                return out;
            }
        }
    }
    if !word.is_empty() && out.len() < MAX_WORDS {
        out.push(spelled_out(word));
    }
    out
}

/// Texting shorthand written out: "do u have" is "do you have".
fn spelled_out(word: String) -> String {
    let full = match word.as_str() {
        "u" => "you",
        "ur" => "your",
        "r" => "are",
        "pls" | "plz" => "please",
        "wat" => "what",
        "wats" => "whats",
        "hw" => "how",
        "abt" => "about",
        "ppl" => "people",
        "tmrw" | "tmr" => "tomorrow",
        "vc" => "voce",
        "q" => "que",
        _ => return word,
    };
    full.to_owned()
}

/// The unaccented letters of the Latin letters Portuguese, Spanish, French and German
/// customers type.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'œ' => "oe",
        'æ' => "ae",
        _ => return None,
    })
}

/// Runs of one letter become one: "hiii" → "hi", "shipping" → "shiping".
pub fn squash(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    for c in word.chars() {
        if last != Some(c) {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

/// Whether a (squashed) message word is the (squashed) keyword, allowing one slip for
/// words of four letters and more (two from eight). Short words must be exact or
/// swapped ("hwo"), and four-letter words may only gain a letter, so that "shop" is
/// not "ship" nor "are" "abre". The first letter must match: a slip there is rare, and
/// requiring it keeps "cost" from "most".
pub fn similar(word: &str, key: &str) -> bool {
    if word == key {
        return true;
    }
    // Cheap refusals first: this runs for every keyword against every word.
    if word.as_bytes().first() != key.as_bytes().first()
        || word.len().abs_diff(key.len()) > 2
        || key.len() < 3
    {
        return false;
    }
    let (w, k): (Vec<char>, Vec<char>) = (word.chars().collect(), key.chars().collect());
    match k.len() {
        0..=2 => false,
        3 => transposed(&w, &k),
        // A letter too many ("helow"), never one too few: "are" is not "abre".
        4 => transposed(&w, &k) || (w.len() == k.len() + 1 && edit_distance(&w, &k) == 1),
        5..=7 => edit_distance(&w, &k) <= 1,
        _ => edit_distance(&w, &k) <= 2,
    }
}

fn transposed(a: &[char], b: &[char]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    diff.len() == 2 && diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]]
}

/// Damerau–Levenshtein (optimal string alignment) distance; words are short.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Whether two words are the same word give or take an ending ("cake"/"cakes",
/// "deliver"/"delivery", "park"/"parking"): the first five letters, or all of a
/// four-letter word followed by an ending of at most three ("work" is not "workshop").
/// Shorter words must be equal, or a plural ("mat"s).
pub fn same_stem(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() < 4 {
        return short == long || long.strip_suffix('s') == Some(short);
    }
    if short.len() == 4 && long.len() > 7 {
        return false;
    }
    let n = short.len().min(5);
    short.is_char_boundary(n) && long.is_char_boundary(n) && short[..n] == long[..n]
}

/// Words that carry no subject on their own, in English, Portuguese and Spanish: what
/// is left of a message without them is what it is about.
const FILLER: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "did", "didnt", "do", "does", "doesnt", "dont", "for", "from", "get", "got", "had",
    "has", "have", "hello", "hey", "hi", "how", "i", "if", "im", "in", "is", "isnt", "it", "its", "just",
    "like", "me", "more", "much", "my", "need", "no", "not", "of", "ok", "okay", "on", "one", "or", "our",
    "please", "pls", "so", "some", "thanks", "that", "thats", "the", "there", "these", "they", "this",
    "those", "time", "to", "u", "us", "very", "want", "was", "we", "what", "whats", "when", "where", "which",
    "who", "why", "will", "with", "would", "yes", "you", "your", "o", "os", "as", "um", "uma", "de", "do",
    "da", "dos", "das", "em", "no", "na", "para", "por", "com", "que", "e", "eu", "voce", "vc", "tem",
    "qual", "como", "onde", "quando", "meu", "minha", "el", "la", "los", "las", "un", "una", "del", "en",
    "con", "y", "es", "yo", "tu", "usted", "hay", "cual", "donde", "cuando", "mi",
];

/// The words a message is about: no filler, no one-letter words.
pub fn content_words(words: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for w in words {
        if w.len() > 1 && !FILLER.contains(&w.as_str()) && !out.contains(&w.as_str()) {
            out.push(w);
        }
    }
    out
}

/// Whether the message asks something: a question mark, or a question word first.
pub fn is_question(text: &str, words: &[String]) -> bool {
    const OPENERS: &[&str] = &[
        "what", "whats", "how", "when", "where", "which", "who", "why", "do", "does", "did", "can", "could",
        "is", "are", "will", "would", "should", "qual", "quanto", "como", "onde", "quando", "cual", "cuanto",
        "donde", "cuando", "tem", "hay", "tienen",
    ];
    text.contains('?') || text.contains('¿') || words.first().is_some_and(|w| OPENERS.contains(&w.as_str()))
}

/// An email address or a phone number (nine digits or more, with the usual
/// separators) in the text: the customer gave us a way to reach them.
pub fn has_contact(text: &str) -> bool {
    let email = text.split_whitespace().any(|token| {
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        token.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
    });
    email || has_phone_number(text)
}

fn has_phone_number(text: &str) -> bool {
    let mut digits = 0;
    let mut gap = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            gap = 0;
            if digits >= 9 {
                return true;
            }
        } else if " -().+/".contains(c) && gap < 2 {
            gap += 1;
        } else {
            digits = 0;
            gap = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_accents_emojis_and_apostrophes_do_not_change_words() {
        assert_eq!(words("Olá, BOM DIA!! 🙂"), ["ola", "bom", "dia"]);
        assert_eq!(words("What's the príce?👋"), ["whats", "the", "price"]);
        assert_eq!(words("  \t "), Vec::<String>::new());
        assert_eq!(squash("hellooo"), "helo");
        assert_eq!(words(&"word ".repeat(1000)).len(), MAX_WORDS);
        assert_eq!(words("do u have it, r u open"), ["do", "you", "have", "it", "are", "you", "open"]);
    }

    #[test]
    fn one_slip_is_forgiven_where_it_cannot_make_another_word() {
        for (word, key) in
            [("prise", "price"), ("shiping", "shiping"), ("avaliable", "available"), ("hwo", "how")]
        {
            assert!(similar(&squash(word), &squash(key)), "{word} ~ {key}");
        }
        for (word, key) in [("shop", "ship"), ("most", "cost"), ("hi", "ho"), ("buy", "bye")] {
            assert!(!similar(word, key), "{word} !~ {key}");
        }
        assert!(similar("helow", "helo"), "an extra letter in a four-letter word");
        assert!(!similar("are", "abre"), "but not a missing one");
    }

    #[test]
    fn contacts_are_found_and_prices_are_not_contacts() {
        assert!(has_contact("my number is 912 345 678, call me"));
        assert!(has_contact("write to sam.r@mail.example."));
        assert!(has_contact("+1 (512) 555-0147"));
        assert!(!has_contact("is €34.90 for 10 people?"));
        assert!(!has_contact("me @ home"));
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("ééé", 3), "é");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
