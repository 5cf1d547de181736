//! A circuit breaker between the model and the customer: when the primary responder
//! fails, the fallback (the rules) answers; when it keeps failing, it is left alone
//! for a cool-down so that customers do not each wait for a timeout first.
//!
//! Closed: every message goes to the primary, a failure is answered by the fallback.
//! After `failure_threshold` failures in a row (or at once, for a refused key or an
//! exhausted quota, which only the owner can fix) the circuit opens: the fallback
//! answers alone until the cool-down ends. Then one message is a trial (half-open):
//! success closes the circuit, failure opens it for another cool-down.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use super::{AiError, Conversation, Reply, Responder};
use crate::Clock;
use crate::model::Timestamp;

/// When the circuit opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Failures in a row that open the circuit.
    pub failure_threshold: u32,
    /// How long the primary is left alone once the circuit opens.
    pub cool_down: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self { failure_threshold: 3, cool_down: Duration::from_mins(1) }
    }
}

/// Where the circuit stands, as the daemon exports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// The primary answers.
    Closed,
    /// The fallback answers alone until then.
    Open { until: Timestamp },
    /// The cool-down is over: the next message (or the one in flight) tries the primary.
    HalfOpen,
}

impl CircuitState {
    /// `closed`, `open`, `half_open`: a label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open { .. } => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// Told about failures the owner must act on ([`AiError::Unauthorized`],
/// [`AiError::QuotaExceeded`]); the daemon turns them into an `ai.provider_failed`
/// event. Called at most once per cool-down, since such a failure opens the circuit.
pub type Alert = Arc<dyn Fn(&AiError) + Send + Sync>;

/// The primary responder with a fallback and a circuit breaker; itself a [`Responder`].
/// A reply's `provider` says which one answered.
pub struct FallbackResponder {
    primary: Arc<dyn Responder>,
    fallback: Arc<dyn Responder>,
    clock: Arc<dyn Clock>,
    settings: BreakerSettings,
    alert: Option<Alert>,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    circuit: Circuit,
    /// Primary failures in a row.
    failures: u32,
    /// Times the circuit opened.
    trips: u64,
    /// Replies the fallback gave.
    fallbacks: u64,
    last_error: Option<AiError>,
}

#[derive(Debug, Clone, Copy)]
enum Circuit {
    Closed,
    Open {
        until: Timestamp,
    },
    /// A trial call started then is in flight. One that never reports back (its
    /// future was dropped) is given up after a cool-down, so the circuit cannot stick.
    Trial {
        started: Timestamp,
    },
}

/// What one message does with the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Primary,
    Trial,
    Fallback,
}

impl fmt::Debug for FallbackResponder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FallbackResponder")
            .field("primary", &self.primary.name())
            .field("fallback", &self.fallback.name())
            .field("settings", &self.settings)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl FallbackResponder {
    pub const NAME: &'static str = "fallback";

    pub fn new(
        primary: Arc<dyn Responder>,
        fallback: Arc<dyn Responder>,
        clock: Arc<dyn Clock>,
        settings: BreakerSettings,
    ) -> Self {
        Self {
            primary,
            fallback,
            clock,
            settings,
            alert: None,
            inner: Mutex::new(Inner {
                circuit: Circuit::Closed,
                failures: 0,
                trips: 0,
                fallbacks: 0,
                last_error: None,
            }),
        }
    }

    /// Calls `alert` with each failure the owner must act on.
    pub fn with_alert(mut self, alert: impl Fn(&AiError) + Send + Sync + 'static) -> Self {
        self.alert = Some(Arc::new(alert));
        self
    }

    pub fn state(&self) -> CircuitState {
        let now = self.clock.now();
        match self.lock().circuit {
            Circuit::Closed => CircuitState::Closed,
            Circuit::Open { until } if now < until => CircuitState::Open { until },
            Circuit::Open { .. } | Circuit::Trial { .. } => CircuitState::HalfOpen,
        }
    }

    /// Times the circuit has opened since start.
    pub fn trips(&self) -> u64 {
        self.lock().trips
    }

    /// Replies the fallback gave since start (the primary failing or skipped).
    pub fn fallbacks(&self) -> u64 {
        self.lock().fallbacks
    }

    /// The primary's latest failure, cleared by its next success.
    pub fn last_error(&self) -> Option<AiError> {
        self.lock().last_error.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The counters stay meaningful after a panic elsewhere: keep using them.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn route(&self) -> Route {
        let now = self.clock.now();
        let mut inner = self.lock();
        match inner.circuit {
            Circuit::Closed => Route::Primary,
            Circuit::Open { until } if now < until => Route::Fallback,
            Circuit::Trial { started } if now < started + self.settings.cool_down => Route::Fallback,
            Circuit::Open { .. } | Circuit::Trial { .. } => {
                inner.circuit = Circuit::Trial { started: now };
                tracing::info!(
                    primary = self.primary.name(),
                    "ai circuit half-open: trying the primary again"
                );
                Route::Trial
            }
        }
    }

    fn succeeded(&self, route: Route) {
        let mut inner = self.lock();
        inner.failures = 0;
        inner.last_error = None;
        if route == Route::Trial || !matches!(inner.circuit, Circuit::Closed) {
            inner.circuit = Circuit::Closed;
            tracing::info!(primary = self.primary.name(), "ai circuit closed: the primary answers again");
        }
    }

    fn failed(&self, route: Route, error: &AiError) {
        let owner_must_act = error.owner_must_act();
        {
            let mut inner = self.lock();
            inner.failures = inner.failures.saturating_add(1);
            inner.last_error = Some(error.clone());
            let open =
                route == Route::Trial || owner_must_act || inner.failures >= self.settings.failure_threshold;
            // A failure that reports after another call already opened the circuit
            // does not extend the cool-down.
            if open && !matches!(inner.circuit, Circuit::Open { .. }) {
                let until = self.clock.now() + self.settings.cool_down;
                inner.circuit = Circuit::Open { until };
                inner.trips += 1;
                tracing::warn!(
                    primary = self.primary.name(),
                    fallback = self.fallback.name(),
                    %error,
                    failures = inner.failures,
                    cool_down_secs = self.settings.cool_down.as_secs(),
                    trips = inner.trips,
                    "ai circuit open: the fallback answers alone for the cool-down"
                );
            }
        }
        if owner_must_act && let Some(alert) = &self.alert {
            alert(error);
        }
    }
}

#[async_trait]
impl Responder for FallbackResponder {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn reply(&self, conversation: &Conversation<'_>) -> Result<Reply, AiError> {
        let route = self.route();
        if route != Route::Fallback {
            match self.primary.reply(conversation).await {
                Ok(reply) => {
                    self.succeeded(route);
                    return Ok(reply);
                }
                Err(error) => {
                    tracing::warn!(primary = self.primary.name(), %error, "the primary responder failed; falling back");
                    self.failed(route, &error);
                }
            }
        }
        self.lock().fallbacks += 1;
        self.fallback.reply(conversation).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::ManualClock;
    use crate::ai::{FlowStep, Intent, KnowledgeBase, Turn};
    use crate::model::BusinessInfo;

    /// Answers from a script of outcomes (then keeps the last), counting its calls.
    #[derive(Debug)]
    struct Scripted {
        name: &'static str,
        outcomes: Mutex<Vec<Result<(), AiError>>>,
        calls: AtomicUsize,
    }

    impl Scripted {
        fn new(name: &'static str, outcomes: Vec<Result<(), AiError>>) -> Arc<Self> {
            Arc::new(Self { name, outcomes: Mutex::new(outcomes), calls: AtomicUsize::new(0) })
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl Responder for Scripted {
        fn name(&self) -> &'static str {
            self.name
        }

        async fn reply(&self, _conversation: &Conversation<'_>) -> Result<Reply, AiError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let mut outcomes = self.outcomes.lock().expect("outcomes");
            let outcome = if outcomes.len() > 1 { outcomes.remove(0) } else { outcomes[0].clone() };
            outcome.map(|()| Reply {
                text: format!("from {}", self.name),
                quick_replies: Vec::new(),
                intent: Intent::Greeting,
                handoff: false,
                signals: Vec::new(),
                next_step: FlowStep::Greeting,
                provider: self.name.to_owned(),
            })
        }
    }

    fn start() -> Timestamp {
        Timestamp::parse("2026-11-20T09:00:00.000Z").expect("valid")
    }

    async fn ask(breaker: &FallbackResponder) -> Result<Reply, AiError> {
        let business = BusinessInfo::default();
        let knowledge = KnowledgeBase::default();
        let history: [Turn; 0] = [];
        let incoming = ["hi".to_owned()];
        let conversation = Conversation {
            business: &business,
            campaign: None,
            knowledge: &knowledge,
            history: &history,
            incoming: &incoming,
            step: FlowStep::Greeting,
        };
        breaker.reply(&conversation).await
    }

    #[tokio::test]
    async fn a_half_open_trial_that_fails_opens_for_another_cool_down() {
        let clock = ManualClock::new(start());
        let primary = Scripted::new("model", vec![Err(AiError::Provider("down".into()))]);
        let fallback = Scripted::new("rules", vec![Ok(())]);
        let breaker = FallbackResponder::new(
            primary.clone(),
            fallback.clone(),
            Arc::new(clock.clone()),
            BreakerSettings { failure_threshold: 2, cool_down: Duration::from_mins(1) },
        );
        for _ in 0..2 {
            assert_eq!(ask(&breaker).await.expect("fallback").provider, "rules");
        }
        assert_eq!(breaker.trips(), 1);
        clock.advance(Duration::from_mins(1));
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        ask(&breaker).await.expect("fallback");
        assert_eq!(primary.calls(), 3, "one trial call");
        assert_eq!(breaker.trips(), 2);
        assert_eq!(breaker.state(), CircuitState::Open { until: start() + Duration::from_mins(2) });
    }

    #[tokio::test]
    async fn a_trial_that_never_reports_back_is_given_up_after_a_cool_down() {
        let clock = ManualClock::new(start());
        let primary = Scripted::new("model", vec![Ok(())]);
        let fallback = Scripted::new("rules", vec![Ok(())]);
        let breaker = FallbackResponder::new(
            primary.clone(),
            fallback,
            Arc::new(clock.clone()),
            BreakerSettings::default(),
        );
        breaker.lock().circuit = Circuit::Trial { started: start() };
        assert_eq!(ask(&breaker).await.expect("reply").provider, "rules", "a trial is in flight");
        clock.advance(Duration::from_mins(1));
        assert_eq!(ask(&breaker).await.expect("reply").provider, "model");
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[tokio::test]
    async fn when_both_fail_the_fallback_error_is_returned() {
        let clock = ManualClock::new(start());
        let primary = Scripted::new("model", vec![Err(AiError::Timeout { secs: 15 })]);
        let fallback = Scripted::new("rules", vec![Err(AiError::Malformed("no campaign".into()))]);
        let breaker = FallbackResponder::new(primary, fallback, Arc::new(clock), BreakerSettings::default());
        assert_eq!(ask(&breaker).await, Err(AiError::Malformed("no campaign".into())));
        assert_eq!(breaker.last_error(), Some(AiError::Timeout { secs: 15 }));
    }
}
