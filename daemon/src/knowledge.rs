//! Each business's knowledge base: trained from its current facts (business info,
//! documents, active campaigns), kept in memory while they do not change, and trained
//! again in the background shortly after they do.
//!
//! Three paths lead to a training, all through one lock per business so that two
//! never build the same knowledge base at once:
//!
//! - [`Knowledge::current`], before every AI answer: the facts' fingerprint is checked,
//!   so an answer never comes from stale facts even if nothing scheduled a retrain
//!   (another `closerd` on the same MongoDB changed them, say);
//! - [`Knowledge::schedule`], after a change through this daemon's API: debounced, so
//!   uploading ten documents trains once, a moment after the last;
//! - [`Knowledge::train`], the owner's "train now".
//!
//! The store keeps the record of each training ([`KnowledgeStatus`]) with the
//! fingerprint of the facts it was built from: after a restart the first answer
//! rebuilds the index in memory without counting a new version when nothing changed.
//! Building runs on the blocking pool; request handling never waits for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use closer_core::ai::KnowledgeBase;
use closer_core::events::Event;
use closer_core::model::{CampaignStatus, KnowledgeStatus, Training, UserId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::AppError;
use crate::state::AppState;

/// What the owner sees of their knowledge base.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KnowledgeView {
    /// Whether it has been trained at least once.
    pub trained: bool,
    /// The last training; absent before the first.
    pub last_training: Option<KnowledgeStatus>,
    /// Whether the last training used the facts as they are now.
    pub up_to_date: bool,
    /// A retrain is scheduled (facts changed a moment ago).
    pub retrain_pending: bool,
}

/// The knowledge bases of every business this daemon serves.
#[derive(Debug)]
pub struct Knowledge {
    /// How long after the last change a scheduled retrain starts.
    debounce: Duration,
    built: Mutex<HashMap<UserId, Built>>,
    /// One lock per business: trainings of one business run one at a time.
    locks: Mutex<HashMap<UserId, Arc<tokio::sync::Mutex<()>>>>,
    /// Businesses with a retrain scheduled, and when it may start.
    pending: Mutex<HashMap<UserId, Instant>>,
}

#[derive(Debug, Clone)]
struct Built {
    fingerprint: String,
    base: KnowledgeBase,
}

/// A business's facts as they are now, without the documents' contents.
struct Facts {
    user: closer_core::model::User,
    documents: Vec<closer_core::model::DocumentMeta>,
    campaigns: Vec<closer_core::model::Campaign>,
    fingerprint: String,
}

impl Default for Knowledge {
    fn default() -> Self {
        Self::new(Self::DEFAULT_DEBOUNCE)
    }
}

impl Knowledge {
    pub const DEFAULT_DEBOUNCE: Duration = Duration::from_secs(2);

    pub fn new(debounce: Duration) -> Self {
        Self { debounce, built: Mutex::default(), locks: Mutex::default(), pending: Mutex::default() }
    }

    /// The business's knowledge base, built from its facts as they are now.
    pub async fn current(&self, state: &AppState, tenant: UserId) -> Result<KnowledgeBase, AppError> {
        let facts = Facts::read(state, tenant).await?;
        if let Some(base) = self.built_from(tenant, &facts.fingerprint) {
            return Ok(base);
        }
        let lock = self.lock_for(tenant);
        let _training = lock.lock().await;
        // Someone may have built it while this waited.
        let facts = Facts::read(state, tenant).await?;
        if let Some(base) = self.built_from(tenant, &facts.fingerprint) {
            return Ok(base);
        }
        let recorded = state.store.knowledge_status(tenant).await?;
        let already_counted = recorded.is_some_and(|status| status.fingerprint == facts.fingerprint);
        let (base, _status) = self.build(state, facts, !already_counted).await?;
        Ok(base)
    }

    /// Trains now, whether or not the facts changed, and records a new version.
    pub async fn train(&self, state: &AppState, tenant: UserId) -> Result<KnowledgeStatus, AppError> {
        let lock = self.lock_for(tenant);
        let _training = lock.lock().await;
        let facts = Facts::read(state, tenant).await?;
        let (_base, status) = self.build(state, facts, true).await?;
        status.ok_or_else(|| AppError::Internal("a training went unrecorded".into()))
    }

    /// Retrains in the background once the business's facts have stopped changing for
    /// the debounce period; each further call pushes the start back.
    pub fn schedule(self: &Arc<Self>, state: &AppState, tenant: UserId) {
        let start_at = Instant::now() + self.debounce;
        if pending(&self.pending).insert(tenant, start_at).is_some() {
            return; // the waiting task picks up the later start
        }
        let (knowledge, state) = (Arc::clone(self), state.clone());
        tokio::spawn(async move {
            loop {
                let due = pending(&knowledge.pending).get(&tenant).copied();
                match due {
                    Some(due) if due > Instant::now() => tokio::time::sleep_until(due.into()).await,
                    _ => break,
                }
            }
            // Removed only now: a change that comes in while training schedules a
            // fresh retrain after this one rather than being lost to it.
            pending(&knowledge.pending).remove(&tenant);
            if let Err(error) = knowledge.refresh(&state, tenant).await {
                tracing::warn!(user = %tenant, %error, "the scheduled retraining failed; the next answer retries it");
            }
        });
    }

    /// What the owner sees: the last training, and whether the facts moved since.
    pub async fn view(&self, state: &AppState, tenant: UserId) -> Result<KnowledgeView, AppError> {
        let facts = Facts::read(state, tenant).await?;
        let last_training = state.store.knowledge_status(tenant).await?;
        Ok(KnowledgeView {
            trained: last_training.is_some(),
            up_to_date: last_training.as_ref().is_some_and(|s| s.fingerprint == facts.fingerprint),
            retrain_pending: pending(&self.pending).contains_key(&tenant),
            last_training,
        })
    }

    /// Trains if the facts changed since the last training.
    async fn refresh(&self, state: &AppState, tenant: UserId) -> Result<(), AppError> {
        let lock = self.lock_for(tenant);
        let _training = lock.lock().await;
        let facts = Facts::read(state, tenant).await?;
        let recorded = state.store.knowledge_status(tenant).await?;
        if recorded.is_some_and(|status| status.fingerprint == facts.fingerprint)
            && self.built_from(tenant, &facts.fingerprint).is_some()
        {
            return Ok(());
        }
        self.build(state, facts, true).await.map(drop)
    }

    /// Builds the knowledge base from `facts` on the blocking pool, keeps it, and when
    /// `record` is set records the training and tells the business's consoles.
    /// Callers hold the business's lock.
    async fn build(
        &self,
        state: &AppState,
        facts: Facts,
        record: bool,
    ) -> Result<(KnowledgeBase, Option<KnowledgeStatus>), AppError> {
        let tenant = facts.user.id;
        let mut contents = Vec::with_capacity(facts.documents.len());
        for document in &facts.documents {
            contents.push(state.store.get_document(tenant, document.id).await?);
        }
        let now = state.clock.now();
        let Facts { user, campaigns, fingerprint, .. } = facts;
        let (document_count, campaign_count) = (contents.len(), campaigns.len());
        let started = Instant::now();
        let base = tokio::task::spawn_blocking(move || {
            KnowledgeBase::train(&user.business, &contents, &campaigns, now)
        })
        .await
        .map_err(|e| AppError::Internal(format!("training was interrupted: {e}")))?;
        let duration = started.elapsed();
        built(&self.built).insert(tenant, Built { fingerprint: fingerprint.clone(), base: base.clone() });
        if !record {
            return Ok((base, None));
        }

        let training = Training {
            user_id: tenant,
            trained_at: now,
            fingerprint,
            documents: count(document_count),
            campaigns: count(campaign_count),
            passages: count(base.passage_count()),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        };
        let status = state.store.record_training(&training).await?;
        tracing::info!(
            user = %tenant,
            version = status.version,
            passages = status.passages,
            ms = status.duration_ms,
            "trained the knowledge base"
        );
        state.events.publish(tenant, Event::KnowledgeTrained { knowledge: status.clone() });
        Ok((base, Some(status)))
    }

    fn built_from(&self, tenant: UserId, fingerprint: &str) -> Option<KnowledgeBase> {
        built(&self.built).get(&tenant).filter(|b| b.fingerprint == fingerprint).map(|b| b.base.clone())
    }

    fn lock_for(&self, tenant: UserId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(locks.entry(tenant).or_default())
    }
}

impl Facts {
    async fn read(state: &AppState, tenant: UserId) -> Result<Self, AppError> {
        let user = state.store.get_user(tenant).await?;
        let documents = state.store.list_documents(tenant).await?;
        let campaigns = state.store.list_campaigns(tenant, Some(CampaignStatus::Active)).await?;

        // A stable digest (unlike std's hasher, the same in every build), so a
        // fingerprint stored by one closerd still matches after an upgrade.
        let mut digest = Sha256::new();
        let business = serde_json::to_vec(&user.business)
            .map_err(|e| AppError::Internal(format!("cannot read the business info: {e}")))?;
        digest.update(&business);
        for document in &documents {
            digest.update(format!("\ndoc {} {} {}", document.id, document.uploaded_at, document.size_bytes));
        }
        for campaign in &campaigns {
            digest.update(format!("\ncampaign {} {}", campaign.id, campaign.version));
        }
        let fingerprint = hex::encode(digest.finalize());
        Ok(Self { user, documents, campaigns, fingerprint })
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn built(map: &Mutex<HashMap<UserId, Built>>) -> MutexGuard<'_, HashMap<UserId, Built>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

fn pending(map: &Mutex<HashMap<UserId, Instant>>) -> MutexGuard<'_, HashMap<UserId, Instant>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}
