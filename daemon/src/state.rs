//! What every request handler can reach.

use std::sync::Arc;
use std::time::Duration;

use closer_core::Clock;
use closer_core::config::Config;
use closer_core::store::Store;

use crate::auth::throttle::LoginThrottle;

/// Settings handlers need, resolved once from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            access_token_ttl: Duration::from_secs(config.auth.access_token_minutes * 60),
            refresh_token_ttl: Duration::from_secs(config.auth.refresh_token_days * 24 * 60 * 60),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

/// Cheap to clone: axum clones it per request.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Injected so that token expiry and throttling can be tested without sleeping.
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub login_throttle: Arc<LoginThrottle>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self { store, clock, settings: Arc::new(settings), login_throttle: Arc::default() }
    }
}
