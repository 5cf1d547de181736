//! What every request handler can reach.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use closer_core::Clock;
use closer_core::config::{Config, PipelineConfig};
use closer_core::lead::LeadScorer;
use closer_core::platform::RetryPolicy;
use closer_core::store::Store;
use closer_core::store::cache::CachedStore;

use closer_core::ai::Responder;
use closer_core::ai::leo::Leo;
use closer_core::ai::rules::RuleBased;
use closer_core::platform::facebook::GraphClient;

use crate::api::EncodedLists;
use crate::knowledge::Knowledge;
use crate::pipeline::Pipeline;

use crate::auth::cache::SessionCache;
use crate::auth::throttle::LoginThrottle;
use crate::crypto::TokenSealer;
use crate::events::EventHub;

/// Settings handlers need, resolved once from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Where the Graph API is: Facebook's, or a fake in tests.
    pub graph_api_base: String,
    pub graph_api_version: String,
    /// How long after the last change to a business's facts its knowledge base is
    /// trained again.
    pub retrain_debounce: Duration,
    /// Our Facebook app: its secret signs the webhooks, its verify token answers the
    /// subscription handshake, its id tells our echoes from a person's.
    pub facebook_app_id: String,
    pub facebook_app_secret: Secret,
    pub facebook_verify_token: Secret,
    /// How patiently a send is retried while the platform asks us to wait.
    pub send_retry: RetryPolicy,
    pub pipeline: PipelineConfig,
    pub lead: LeadScorer,
}

/// A setting that must never reach a log line: `Debug` shows only whether it is set.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(unset)" } else { "Secret(********)" })
    }
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            access_token_ttl: Duration::from_secs(config.auth.access_token_minutes * 60),
            refresh_token_ttl: Duration::from_secs(config.auth.refresh_token_days * 24 * 60 * 60),
            graph_api_base: config.facebook.graph_api_base.clone(),
            graph_api_version: config.facebook.graph_api_version.clone(),
            retrain_debounce: Duration::from_millis(config.ai.retrain_debounce_ms),
            facebook_app_id: config.facebook.app_id.clone(),
            facebook_app_secret: Secret(config.facebook.app_secret.clone()),
            facebook_verify_token: Secret(config.facebook.verify_token.clone()),
            send_retry: RetryPolicy::default(),
            pipeline: config.pipeline.clone(),
            lead: config.lead.clone(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

/// What every handler reaches, behind one `Arc`: axum clones the state for every
/// request (and every middleware layer again), and fourteen `Arc`s cloned and dropped
/// each time were ~3% of a webhook's CPU, in reference counts bouncing between cores.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Changing a part of a state that others hold (a test giving one server other
/// limits) changes a copy: they keep theirs.
impl DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// The parts of [`AppState`].
#[derive(Debug, Clone)]
pub struct Shared {
    pub store: Arc<dyn Store>,
    /// The same store, as the read cache it is: for what only the cache can answer
    /// (a business's remembered campaigns, shared rather than copied).
    pub cache: Arc<CachedStore>,
    /// The campaign list's answers, kept encoded while their list is remembered.
    pub(crate) campaign_lists: Arc<EncodedLists>,
    /// Injected so that token expiry and throttling can be tested without sleeping.
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub login_throttle: Arc<LoginThrottle>,
    /// Access tokens verified a moment ago.
    pub sessions: Arc<SessionCache>,
    /// Live events to the consoles.
    pub events: Arc<EventHub>,
    /// Encrypts page tokens before they reach the store.
    pub sealer: Arc<TokenSealer>,
    pub graph: GraphClient,
    /// Answers customers (and previews).
    pub ai: Arc<dyn Responder>,
    /// Each business's knowledge base, kept while its facts do not change.
    pub knowledge: Arc<Knowledge>,
    /// Answers the owner's questions about their own data.
    pub leo: Arc<Leo>,
    /// The customer-message pipeline's shared parts (its workers run beside).
    pub pipeline: Arc<Pipeline>,
}

impl AppState {
    /// A state with a fresh event hub and a sealer whose key lives only as long as the
    /// process; the daemon swaps in its persistent key with [`AppState::with_sealer`].
    pub fn new(store: Arc<CachedStore>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        let graph = GraphClient::new(&settings.graph_api_base, &settings.graph_api_version);
        let events = Arc::new(EventHub::new(Arc::clone(&clock)));
        let knowledge = Arc::new(Knowledge::new(settings.retrain_debounce));
        let pipeline = Arc::new(Pipeline::new(
            settings.pipeline.clone(),
            store.backend(),
            settings.lead.clone(),
            settings.facebook_app_id.clone(),
        ));
        Self(Arc::new(Shared {
            store: Arc::clone(&store) as Arc<dyn Store>,
            cache: store,
            campaign_lists: Arc::default(),
            clock,
            settings: Arc::new(settings),
            login_throttle: Arc::default(),
            sessions: Arc::default(),
            events,
            sealer: Arc::new(TokenSealer::ephemeral()),
            graph,
            ai: Arc::new(RuleBased),
            knowledge,
            leo: Arc::new(Leo::rules()),
            pipeline,
        }))
    }

    /// Answers with `responder` instead of the rules.
    #[must_use]
    pub fn with_responder(mut self, responder: Arc<dyn Responder>) -> Self {
        self.ai = responder;
        self
    }

    /// Leo with `leo` (a model, with the rules as its fallback) instead of the rules.
    #[must_use]
    pub fn with_leo(mut self, leo: Arc<Leo>) -> Self {
        self.leo = leo;
        self
    }

    #[must_use]
    pub fn with_sealer(mut self, sealer: TokenSealer) -> Self {
        self.sealer = Arc::new(sealer);
        self
    }
}
