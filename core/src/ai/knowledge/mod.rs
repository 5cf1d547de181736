//! The knowledge base ("training"): the business's facts as passages, indexed with BM25
//! so that a responder can retrieve the few that bear on a customer's message.
//!
//! Training is a pure function of the business information, the documents and the
//! campaigns: no I/O, no clock, no randomness. It is CPU-bound (1.5–2 s for the largest
//! input, 50 documents of 1 MiB, in a release build on two cores; it uses every core),
//! so the daemon runs it on the blocking pool. The knowledge base is stored as its passages (serde): loading
//! rebuilds the index, which costs a fraction of a training and keeps the stored form
//! independent of the index crate's internals.

mod index;
mod passages;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{BusinessInfo, Campaign, Document, Timestamp};

use index::Index;
pub use passages::{campaign_source, currency_symbol, price_text};

/// A piece of the business's facts, as retrieved for a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Passage {
    /// Where it comes from: a document's filename, `business`, or `campaign:<name>`
    /// (see [`campaign_source`]), so that a responder can leave out other campaigns.
    pub source: String,
    /// The heading path it sits under (`Delivery > Fees`), when there is one.
    pub heading: Option<String>,
    pub text: String,
    /// BM25 relevance to the query (higher is better); 0 outside search results.
    #[serde(default)]
    pub score: f32,
}

/// Why a stored knowledge base cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnowledgeError {
    /// Written by a version of Closer that split or indexed differently: train again.
    #[error(
        "the stored knowledge base has format {found}; this version reads format {expected}: train again"
    )]
    UnsupportedFormat { found: u32, expected: u32 },
}

/// The business's facts, split into passages and indexed for retrieval.
///
/// Cloning is cheap (the passages and the index are shared), so a responder can keep
/// answering from one while a retraining builds the next.
#[derive(Clone, Default)]
pub struct KnowledgeBase {
    inner: Arc<Built>,
}

#[derive(Default)]
struct Built {
    passages: Vec<Passage>,
    /// `None` when there are no passages: nothing to search.
    index: Option<Index>,
    version: u64,
    trained_at: Option<Timestamp>,
}

impl KnowledgeBase {
    /// The stored form's format; bumped whenever splitting or tokenizing changes, so
    /// that a knowledge base stored by an older version is trained again, not misread.
    pub const FORMAT: u32 = 1;

    /// Builds the knowledge base from everything the business told us. The caller picks
    /// the campaigns (the active ones); each becomes passages under `campaign:<name>`.
    pub fn train(
        business: &BusinessInfo,
        documents: &[Document],
        campaigns: &[Campaign],
        trained_at: Timestamp,
    ) -> Self {
        let mut all = passages::business(business);
        for campaign in campaigns {
            all.extend(passages::campaign(campaign));
        }
        for document in documents {
            all.extend(passages::document(&document.filename, &document.content));
        }
        Self::from_passages(all, trained_at)
    }

    /// A knowledge base from stored passages: the index is rebuilt, nothing re-split.
    pub fn from_passages(mut passages: Vec<Passage>, trained_at: Timestamp) -> Self {
        for passage in &mut passages {
            passage.score = 0.0;
        }
        let index = (!passages.is_empty()).then(|| Index::build(&passages));
        let version = fingerprint(&passages);
        Self { inner: Arc::new(Built { passages, index, version, trained_at: Some(trained_at) }) }
    }

    /// The passages most relevant to `query`, best first, at most `limit`. Empty when
    /// nothing shares a word with the query (after stemming and stop words).
    pub fn search(&self, query: &str, limit: usize) -> Vec<Passage> {
        let Some(index) = &self.inner.index else { return Vec::new() };
        index
            .search(query, limit)
            .into_iter()
            .filter_map(|(i, score)| self.inner.passages.get(i).map(|p| Passage { score, ..p.clone() }))
            .collect()
    }

    /// A fingerprint of the passages: equal for equal facts, different when anything
    /// changed. Below 2^63, so it fits the stores' signed 64-bit integers.
    pub fn version(&self) -> u64 {
        self.inner.version
    }

    /// `None` for the empty knowledge base of a business never trained.
    pub fn trained_at(&self) -> Option<Timestamp> {
        self.inner.trained_at
    }

    pub fn is_trained(&self) -> bool {
        self.inner.trained_at.is_some()
    }

    pub fn passage_count(&self) -> usize {
        self.inner.passages.len()
    }

    /// Every passage, in training order (business, campaigns, documents).
    pub fn passages(&self) -> &[Passage] {
        &self.inner.passages
    }
}

/// FNV-1a, 64 bits, over every field: stable across Rust versions and platforms (the
/// standard hasher is not promised to be), so a stored version still compares equal
/// after an upgrade.
fn fingerprint(passages: &[Passage]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(PRIME);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        hash = (hash ^ 0xff).wrapping_mul(PRIME);
    };
    for p in passages {
        eat(p.source.as_bytes());
        eat(p.heading.as_deref().unwrap_or("").as_bytes());
        eat(p.text.as_bytes());
    }
    hash >> 1
}

impl fmt::Debug for KnowledgeBase {
    // Not derived: the passages can be 50 MiB, and a knowledge base ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KnowledgeBase")
            .field("version", &self.inner.version)
            .field("trained_at", &self.inner.trained_at)
            .field("passages", &self.inner.passages.len())
            .finish()
    }
}

/// The stored form, written from borrowed passages (no 50 MiB copy to serialise).
#[derive(Serialize)]
struct SnapshotRef<'a> {
    format: u32,
    trained_at: Option<Timestamp>,
    passages: &'a [Passage],
}

#[derive(Deserialize)]
struct Snapshot {
    format: u32,
    trained_at: Option<Timestamp>,
    passages: Vec<Passage>,
}

impl Serialize for KnowledgeBase {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SnapshotRef {
            format: Self::FORMAT,
            trained_at: self.inner.trained_at,
            passages: &self.inner.passages,
        }
        .serialize(serializer)
    }
}

impl TryFrom<Snapshot> for KnowledgeBase {
    type Error = KnowledgeError;

    fn try_from(snapshot: Snapshot) -> Result<Self, Self::Error> {
        if snapshot.format != Self::FORMAT {
            return Err(KnowledgeError::UnsupportedFormat { found: snapshot.format, expected: Self::FORMAT });
        }
        Ok(match snapshot.trained_at {
            Some(at) => Self::from_passages(snapshot.passages, at),
            None => Self::default(),
        })
    }
}

impl<'de> Deserialize<'de> for KnowledgeBase {
    /// Rebuilds the index: as CPU-bound as a small training, so load on the blocking pool.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::try_from(Snapshot::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DocumentId, Money, Platform, UserId};

    fn at() -> Timestamp {
        Timestamp::from_millis(1_767_225_600_000).expect("in range")
    }

    fn trained() -> KnowledgeBase {
        let user = UserId::new();
        let business = BusinessInfo {
            business_name: "Moonrise Bakery".into(),
            description: "Sourdough and cakes in Lisbon.".into(),
            ..BusinessInfo::default()
        };
        let document = Document {
            id: DocumentId::new(),
            user_id: user,
            filename: "delivery.md".into(),
            content_type: "text/markdown".into(),
            content: "# Delivery\n\nOur van delivers within Lisbon, Tuesday to Saturday.\n\n# Hours\n\nOpen 7:30 to 19:00."
                .into(),
            uploaded_at: at(),
        };
        let mut campaign = Campaign::draft(user, "Cake Box", Platform::Facebook, at());
        campaign.product.name = "Celebration Cake Box".into();
        campaign.product.price = Some(Money { amount_minor: 3490, currency: "EUR".into() });
        campaign.product.features = vec!["Serves 8 to 10 people".into()];
        KnowledgeBase::train(&business, &[document], &[campaign], at())
    }

    #[test]
    fn training_makes_passages_from_every_source_and_search_finds_them() {
        let kb = trained();
        let sources: Vec<&str> = kb.passages().iter().map(|p| p.source.as_str()).collect();
        assert!(sources.contains(&"business") && sources.contains(&"delivery.md"), "{sources:?}");
        assert!(
            kb.passages().iter().any(|p| p.source == "campaign:Cake Box" && p.text.contains("Price: €34.90"))
        );

        let found = kb.search("do you deliver to Lisbon?", 3);
        assert_eq!(found[0].source, "delivery.md");
        assert_eq!(found[0].heading.as_deref(), Some("Delivery"));
        assert!(found[0].score > 0.0);
        assert!(found.windows(2).all(|w| w[0].score >= w[1].score), "best first");
        assert!(kb.search("hours", 5).iter().any(|p| p.text.contains("7:30")), "headings are indexed");
        assert!(kb.search("zeppelin", 5).is_empty());
        assert!(kb.search("", 5).is_empty());
        assert_eq!(kb.trained_at(), Some(at()));
    }

    #[test]
    fn the_stored_form_round_trips_and_rebuilds_the_index() {
        let kb = trained();
        let json = serde_json::to_string(&kb).expect("serialises");
        let loaded: KnowledgeBase = serde_json::from_str(&json).expect("loads");
        assert_eq!(loaded.passages(), kb.passages());
        assert_eq!(loaded.version(), kb.version());
        assert_eq!(loaded.trained_at(), kb.trained_at());
        assert_eq!(loaded.search("deliver", 1), kb.search("deliver", 1));

        let empty: KnowledgeBase =
            serde_json::from_str(&serde_json::to_string(&KnowledgeBase::default()).expect("ser"))
                .expect("an untrained knowledge base loads");
        assert!(!empty.is_trained() && empty.passage_count() == 0);
    }

    #[test]
    fn another_format_is_refused_so_the_daemon_trains_again() {
        let err = serde_json::from_str::<KnowledgeBase>(r#"{"format":0,"trained_at":null,"passages":[]}"#)
            .expect_err("old format");
        assert!(err.to_string().contains("train again"), "{err}");
    }

    #[test]
    fn the_version_follows_the_facts() {
        let kb = trained();
        assert_eq!(kb.version(), trained().version(), "same facts, same version");
        let mut passages = kb.passages().to_vec();
        passages[0].text.push('!');
        let changed = KnowledgeBase::from_passages(passages, at());
        assert_ne!(changed.version(), kb.version());
        assert!(kb.version() < 1 << 63, "fits a signed 64-bit column");
    }

    #[test]
    fn debug_shows_counts_not_content_and_the_base_is_shareable() {
        fn shareable<T: Send + Sync + Clone + Default>() {}
        shareable::<KnowledgeBase>();
        let text = format!("{:?}", trained());
        assert!(text.contains("passages") && !text.contains("Lisbon"), "{text}");
    }
}
