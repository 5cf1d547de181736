//! [`Timestamp`]: an instant in UTC with millisecond precision.
//!
//! Millisecond precision is what the platforms send (Messenger timestamps are unix
//! milliseconds) and what both stores keep exactly, so a value read back equals the
//! value written. On the wire it is RFC 3339 with exactly three fractional digits and
//! a `Z`, which also makes the text form sort in time order.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current instant, truncated to the millisecond.
    pub fn now() -> Self {
        Self::from_datetime(Utc::now())
    }

    /// An instant from unix milliseconds; `None` outside chrono's range.
    pub fn from_millis(millis: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(millis).map(Self)
    }

    pub fn from_datetime(at: DateTime<Utc>) -> Self {
        Self::from_millis(at.timestamp_millis()).unwrap_or(Self(at))
    }

    /// Parses RFC 3339 in any offset.
    pub fn parse(text: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(text).map(|at| Self::from_datetime(at.with_timezone(&Utc)))
    }

    pub fn as_millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn as_datetime(self) -> DateTime<Utc> {
        self.0
    }

    /// The UTC calendar day, the key of daily analytics.
    pub fn date(self) -> NaiveDate {
        self.0.date_naive()
    }

    /// The UTC hour, 0–23, the key of hourly analytics.
    pub fn hour(self) -> usize {
        self.0.hour() as usize
    }

    /// The time from `earlier` to this instant, zero when `earlier` is later.
    pub fn since(self, earlier: Self) -> Duration {
        (self.0 - earlier.0).to_std().unwrap_or(Duration::ZERO)
    }
}

/// Moves forward; saturates at the end of time.
impl std::ops::Add<Duration> for Timestamp {
    type Output = Self;

    fn add(self, by: Duration) -> Self {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        Self(self.0.checked_add_signed(by).unwrap_or(DateTime::<Utc>::MAX_UTC))
    }
}

/// Moves back; saturates at the start of time.
impl std::ops::Sub<Duration> for Timestamp {
    type Output = Self;

    fn sub(self, by: Duration) -> Self {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        Self(self.0.checked_sub_signed(by).unwrap_or(DateTime::<Utc>::MIN_UTC))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(|e| {
            serde::de::Error::custom(format_args!("invalid timestamp {text:?}: {e} (expected RFC 3339)"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_has_fixed_width_and_round_trips() {
        let at = Timestamp::from_millis(1_764_028_800_007).expect("in range");
        let text = serde_json::to_string(&at).expect("serializes");
        assert_eq!(text, "\"2025-11-25T00:00:00.007Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&text).expect("parses"), at);
    }

    #[test]
    fn text_order_is_time_order() {
        let a = Timestamp::from_millis(999).expect("in range");
        let b = Timestamp::from_millis(1_000).expect("in range");
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn sub_millisecond_input_is_truncated() {
        let at = Timestamp::parse("2026-01-02T03:04:05.123456+01:00").expect("parses");
        assert_eq!(at.to_string(), "2026-01-02T02:04:05.123Z");
        assert_eq!(at.hour(), 2);
    }

    #[test]
    fn garbage_is_rejected_with_the_text() {
        let err = serde_json::from_str::<Timestamp>("\"yesterday\"").expect_err("rejects");
        assert!(err.to_string().contains("yesterday"), "{err}");
    }
}
