//! The BM25 index over the passages, built with the `bm25` crate's embedder and scorer.
//!
//! The crate's default tokenizer (Unicode folding, English stop words, stemming) does
//! the linguistics; three things around it keep training 50 MiB of documents within
//! about a second or two:
//!
//! - text is split at whitespace and each distinct word is tokenized once (a cache):
//!   words repeat (Zipf), and the tokenizer costs ~200 ns a word;
//! - the terms are handed to the embedder already joined, so it only splits at spaces
//!   (the crate's one-call builder tokenizes everything twice, once for the average
//!   length, and keeps a second copy of every text);
//! - passages are embedded on every core; only the final insertion is sequential.
//!
//! Queries take the same path, so a query word meets its passage words as the same term.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::num::NonZeroUsize;
use std::thread;

use bm25::{
    DefaultTokenizer, Embedder, EmbedderBuilder, Embedding, Language, Scorer, TokenEmbedder, Tokenizer,
};

use super::Passage;

/// The most distinct terms a query is scored with: a 10,000-character message would
/// otherwise score every passage that shares any word with it.
const MAX_QUERY_TERMS: usize = 48;

/// Distinct words remembered per training thread. Natural text stays far below; a
/// document of random tokens (a pasted hash dump) stops filling it instead of growing
/// without bound.
const MAX_CACHED_WORDS: usize = 500_000;

/// Below this many passages a second thread costs more than it saves.
const PASSAGES_PER_THREAD: usize = 2_000;

/// A query term found in more passages than this (and than a tenth of them) is left
/// out of the search when a rarer term remains. The scorer scores every passage that
/// has any query term, so one word common to a 50 MiB knowledge base made each search
/// score 100,000 passages (10 ms); such a term's IDF is near zero, so it barely moves
/// the ranking of the passages the rarer terms find.
const COMMON_TERM_PASSAGES: usize = 2_000;

/// Terms already tokenized and joined by spaces: the embedder only has to split them.
#[derive(Debug, Default, Clone, Copy)]
struct Terms;

impl Tokenizer for Terms {
    fn tokenize(&self, text: &str) -> Vec<String> {
        text.split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect()
    }
}

/// The tokenizer with a memory of the words it has seen.
struct Words {
    tokenizer: DefaultTokenizer,
    cache: HashMap<String, String>,
}

impl Words {
    fn new() -> Self {
        Self { tokenizer: DefaultTokenizer::new(Language::English), cache: HashMap::new() }
    }

    /// Appends the terms of `text` to `out`, space-separated; returns how many.
    fn push_terms(&mut self, text: &str, out: &mut String) -> usize {
        let mut count = 0;
        for word in text.split_whitespace() {
            if let Some(terms) = self.cache.get(word) {
                count += push(out, terms);
                continue;
            }
            let terms = self.tokenizer.tokenize(word).join(" ");
            count += push(out, &terms);
            if self.cache.len() < MAX_CACHED_WORDS {
                self.cache.insert(word.to_owned(), terms);
            }
        }
        count
    }
}

fn push(out: &mut String, terms: &str) -> usize {
    if terms.is_empty() {
        return 0;
    }
    out.push_str(terms);
    out.push(' ');
    terms.split(' ').count()
}

pub(super) struct Index {
    words: DefaultTokenizer,
    embedder: Embedder<u32, Terms>,
    /// Keyed by the passage's position in the knowledge base.
    scorer: Scorer<u32>,
    /// In how many passages each term is (by the embedder's term hash), for pruning.
    passages_with: HashMap<u32, u32>,
    /// Terms in more passages than this are pruned from queries (see above).
    common_above: u32,
}

impl fmt::Debug for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index").field("avgdl", &self.embedder.avgdl()).finish_non_exhaustive()
    }
}

impl Index {
    /// Indexes the passages, each with its heading ("Delivery" must find the text
    /// under `# Delivery`); the n-th passage is found as n.
    pub fn build(passages: &[Passage]) -> Self {
        let threads = thread::available_parallelism()
            .map_or(1, NonZeroUsize::get)
            .min(passages.len().div_ceil(PASSAGES_PER_THREAD))
            .max(1);
        let chunk = passages.len().div_ceil(threads).max(1);

        // Two passes over the same threads' output: the average length (BM25's avgdl)
        // must be known before the first embedding.
        let tokenized: Vec<(Vec<String>, usize)> = thread::scope(|scope| {
            let workers: Vec<_> = passages.chunks(chunk).map(|part| scope.spawn(|| terms_of(part))).collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        });
        let count: usize = tokenized.iter().map(|(joined, _)| joined.len()).sum();
        let total_terms: usize = tokenized.iter().map(|(_, terms)| terms).sum();
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)] // an average: f32 is plenty
        let avgdl = if count == 0 { 1.0 } else { (total_terms as f64 / count as f64).max(1.0) as f32 };
        let embedder = EmbedderBuilder::<u32, Terms>::with_avgdl(avgdl).build();

        let embeddings: Vec<Vec<Embedding>> = thread::scope(|scope| {
            let embedder = &embedder;
            let workers: Vec<_> = tokenized
                .iter()
                .map(|(joined, _)| {
                    scope.spawn(move || joined.iter().map(|t| distinct(embedder.embed(t))).collect())
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        });
        let mut scorer = Scorer::<u32>::new();
        let mut passages_with: HashMap<u32, u32> = HashMap::new();
        for (id, embedding) in embeddings.into_iter().flatten().enumerate() {
            // Passage counts are bounded by 50 documents of 1 MiB: far below u32::MAX.
            let Ok(id) = u32::try_from(id) else { break };
            for term in embedding.indices() {
                *passages_with.entry(*term).or_default() += 1;
            }
            scorer.upsert(&id, embedding);
        }
        let common_above = u32::try_from(COMMON_TERM_PASSAGES.max(count / 10)).unwrap_or(u32::MAX);
        Self {
            words: DefaultTokenizer::new(Language::English),
            embedder,
            scorer,
            passages_with,
            common_above,
        }
    }

    /// Passage positions and scores, best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<(usize, f32)> {
        let mut seen = HashSet::new();
        // Repeating a word must not weigh it more: the customer typed "price??? price".
        let mut terms: Vec<(u32, String)> = query
            .split_whitespace()
            .flat_map(|word| self.words.tokenize(word))
            .filter(|term| seen.insert(term.clone()))
            .take(MAX_QUERY_TERMS)
            .map(|term| (self.passages_with.get(&u32::embed(&term)).copied().unwrap_or(0), term))
            .collect();
        let rarest = terms.iter().map(|(n, _)| *n).min().unwrap_or(0);
        terms.retain(|(n, _)| *n <= self.common_above.max(rarest));
        let mut joined = String::new();
        for (_, term) in &terms {
            joined.push_str(term);
            joined.push(' ');
        }
        if joined.is_empty() {
            return Vec::new();
        }
        self.scorer
            .matches(&self.embedder.embed(&joined))
            .into_iter()
            .take(limit)
            .map(|scored| (scored.id as usize, scored.score))
            .collect()
    }
}

/// Each passage's terms (heading first) joined by spaces, and the total term count.
fn terms_of(passages: &[Passage]) -> (Vec<String>, usize) {
    let mut words = Words::new();
    let mut total = 0;
    let joined = passages
        .iter()
        .map(|passage| {
            let mut joined = String::with_capacity(passage.text.len());
            if let Some(heading) = &passage.heading {
                total += words.push_terms(heading, &mut joined);
            }
            total += words.push_terms(&passage.text, &mut joined);
            joined
        })
        .collect();
    (joined, total)
}

/// One entry per distinct term. The embedder emits one per occurrence, with equal
/// values, and the scorer reads the first; the repeats only cost memory and inserts.
fn distinct(mut embedding: Embedding) -> Embedding {
    embedding.0.sort_unstable_by_key(|e| e.index);
    embedding.0.dedup_by_key(|e| e.index);
    embedding
}
