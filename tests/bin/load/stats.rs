//! Latency summaries: the percentiles every subcommand prints, in milliseconds.

use std::time::Duration;

/// The figures of one run's latencies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    pub fn of(mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        let count = latencies.len();
        let at = |q: f64| {
            let index = ((count as f64 * q) as usize).min(count.saturating_sub(1));
            latencies.get(index).copied().unwrap_or_default()
        };
        Self { count, p50: at(0.50), p99: at(0.99), max: latencies.last().copied().unwrap_or_default() }
    }

    /// `p50_ms=… p99_ms=… max_ms=…`, the part of every output line about latency.
    pub fn fields(&self) -> String {
        format!("p50_ms={:.2} p99_ms={:.2} max_ms={:.2}", ms(self.p50), ms(self.p99), ms(self.max))
    }
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// A run's identifier, so that customers and message ids never repeat across runs
/// against the same store (a repeated mid is a duplicate, which costs less).
pub fn run_id() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", std::process::id(), nanos % (1 << 48))
}
