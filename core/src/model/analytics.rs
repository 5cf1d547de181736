//! Analytics: counters per business × campaign × platform × day, with 24 hourly
//! buckets, updated by atomic increments as events happen.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{CampaignId, Platform, UserId};

/// The counted quantities. Also used as the increment when recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Metrics {
    pub messages_sent: i64,
    pub messages_received: i64,
    /// Customer messages that got a reply (a burst answered at once counts each of
    /// its messages): the response rate is this over `messages_received`.
    pub messages_answered: i64,
    pub conversations_started: i64,
    pub leads: i64,
    pub conversions: i64,
    /// In minor units of the business's currency.
    pub revenue_minor: i64,
}

impl Metrics {
    /// The names as stored, for backends that increment field by field.
    pub const FIELDS: [&'static str; 7] = [
        "messages_sent",
        "messages_received",
        "messages_answered",
        "conversations_started",
        "leads",
        "conversions",
        "revenue_minor",
    ];

    pub fn values(&self) -> [i64; 7] {
        [
            self.messages_sent,
            self.messages_received,
            self.messages_answered,
            self.conversations_started,
            self.leads,
            self.conversions,
            self.revenue_minor,
        ]
    }

    pub fn from_values(v: [i64; 7]) -> Self {
        Self {
            messages_sent: v[0],
            messages_received: v[1],
            messages_answered: v[2],
            conversations_started: v[3],
            leads: v[4],
            conversions: v[5],
            revenue_minor: v[6],
        }
    }

    pub fn is_zero(&self) -> bool {
        self.values() == [0; 7]
    }

    #[must_use]
    pub fn plus(&self, other: &Self) -> Self {
        let (a, b) = (self.values(), other.values());
        // Saturating: a wrong total beats a panic or a wrapped negative revenue.
        Self::from_values(std::array::from_fn(|i| a[i].saturating_add(b[i])))
    }
}

/// One day of one campaign on one platform for one business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsDay {
    pub user_id: UserId,
    /// `None`: activity in chats that belong to no campaign.
    pub campaign_id: Option<CampaignId>,
    pub platform: Platform,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    pub totals: Metrics,
    /// UTC hours 0–23.
    pub hourly: [Metrics; 24],
}

/// Which analytics rows to read; dates inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub campaign_id: Option<CampaignId>,
    pub platform: Option<Platform>,
}
