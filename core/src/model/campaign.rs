//! Campaigns: a product to sell, the chat flow that sells it, and the status machine
//! draft → active ⇄ paused → completed.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::validate::{self, NAME_MAX, Problem, TEXT_MAX, Validated, ValidationError};
use super::{CampaignId, Platform, Timestamp, UserId};

/// An amount of money in minor units (cents) of a currency, so no float ever rounds a
/// price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    pub amount_minor: i64,
    /// ISO 4217 code, upper case (`USD`, `EUR`).
    pub currency: String,
}

impl Money {
    pub fn validate(&self, field: &str) -> Validated {
        if self.amount_minor < 0 {
            return Err(ValidationError::new(format!("{field}.amount_minor"), Problem::Negative));
        }
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ValidationError::new(
                format!("{field}.currency"),
                Problem::Malformed { expected: "a three-letter ISO 4217 code such as USD" },
            ));
        }
        Ok(())
    }
}

/// What the campaign sells.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Product {
    pub name: String,
    pub description: String,
    /// Unset while drafting; required to activate. The AI never states a price that is
    /// not here.
    pub price: Option<Money>,
    /// Image URLs.
    pub images: Vec<String>,
    pub features: Vec<String>,
}

/// One question the AI asks to qualify a lead, with the answers offered as quick
/// replies (none: a free answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct QualificationQuestion {
    pub question: String,
    pub options: Vec<String>,
}

/// The conversation the AI walks: greeting, qualification questions in order, closing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ChatFlow {
    pub greeting: String,
    pub qualification_questions: Vec<QualificationQuestion>,
    pub closing_message: String,
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Completed,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Draft, Self::Active, Self::Paused, Self::Completed].into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move in the status machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Activate,
    Pause,
    Resume,
    Complete,
}

impl Transition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activate => "activate",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Complete => "complete",
        }
    }

    /// The status this move leads to from `from`, if it is allowed there.
    pub fn apply(self, from: CampaignStatus) -> Option<CampaignStatus> {
        use CampaignStatus::{Active, Completed, Draft, Paused};
        match (self, from) {
            (Self::Activate, Draft) | (Self::Resume, Paused) => Some(Active),
            (Self::Pause, Active) => Some(Paused),
            (Self::Complete, Active | Paused) => Some(Completed),
            _ => None,
        }
    }
}

/// Why a campaign cannot make a move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {} a campaign that is {from}", action.as_str())]
    Illegal { action: Transition, from: CampaignStatus },
    #[error("cannot activate: missing {}", missing.join(", "))]
    NotReady { missing: Vec<&'static str> },
}

/// Running totals shown beside a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CampaignStats {
    pub conversations: i64,
    pub leads: i64,
    pub conversions: i64,
    pub revenue_minor: i64,
}

/// A sales campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: CampaignId,
    pub user_id: UserId,
    pub name: String,
    pub product: Product,
    pub platform: Platform,
    pub status: CampaignStatus,
    /// Chats that arrive on this platform without naming a campaign join the default
    /// one. At most one per business and platform.
    pub is_default: bool,
    pub flow: ChatFlow,
    pub stats: CampaignStats,
    /// Bumped by every update; an update that names an older version is refused, so
    /// two editors never overwrite each other silently.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Campaign {
    const MAX_FEATURES: usize = 50;
    const MAX_IMAGES: usize = 20;
    const MAX_QUESTIONS: usize = 20;
    const MAX_OPTIONS: usize = 13;

    /// A new draft.
    pub fn draft(user_id: UserId, name: impl Into<String>, platform: Platform, now: Timestamp) -> Self {
        Self {
            id: CampaignId::new(),
            user_id,
            name: name.into(),
            product: Product::default(),
            platform,
            status: CampaignStatus::Draft,
            is_default: false,
            flow: ChatFlow::default(),
            stats: CampaignStats::default(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn validate(&self) -> Validated {
        validate::required("name", &self.name, NAME_MAX)?;
        validate::optional("product.name", &self.product.name, NAME_MAX)?;
        validate::optional("product.description", &self.product.description, TEXT_MAX)?;
        if let Some(price) = &self.product.price {
            price.validate("product.price")?;
        }
        validate::list("product.images", &self.product.images, Self::MAX_IMAGES, 2_000)?;
        validate::list("product.features", &self.product.features, Self::MAX_FEATURES, NAME_MAX)?;
        validate::optional("flow.greeting", &self.flow.greeting, 2_000)?;
        validate::optional("flow.closing_message", &self.flow.closing_message, 2_000)?;
        let questions = &self.flow.qualification_questions;
        if questions.len() > Self::MAX_QUESTIONS {
            return Err(ValidationError::new(
                "flow.qualification_questions",
                Problem::TooMany { max_items: Self::MAX_QUESTIONS },
            ));
        }
        for (i, q) in questions.iter().enumerate() {
            let field = format!("flow.qualification_questions[{i}]");
            validate::required(&format!("{field}.question"), &q.question, 640)?;
            // Options become quick replies: at most 13, titles at most 20 characters.
            validate::list(&format!("{field}.options"), &q.options, Self::MAX_OPTIONS, 20)?;
        }
        Ok(())
    }

    /// What activation still needs, by field name.
    pub fn missing_for_activation(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.product.name.trim().is_empty() {
            missing.push("product.name");
        }
        if self.product.price.is_none() {
            missing.push("product.price");
        }
        if self.flow.greeting.trim().is_empty() {
            missing.push("flow.greeting");
        }
        missing
    }

    /// Makes a move in the status machine, or says why it can't.
    pub fn transition(&mut self, action: Transition, now: Timestamp) -> Result<(), TransitionError> {
        let to = action.apply(self.status).ok_or(TransitionError::Illegal { action, from: self.status })?;
        if to == CampaignStatus::Active {
            let missing = self.missing_for_activation();
            if !missing.is_empty() {
                return Err(TransitionError::NotReady { missing });
            }
        }
        self.status = to;
        if to != CampaignStatus::Active {
            // Only an active campaign can take new chats.
            self.is_default = false;
        }
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Campaign {
        let mut c = Campaign::draft(UserId::new(), "Spring cases", Platform::Facebook, Timestamp::now());
        c.product.name = "Phone case".into();
        c.product.price = Some(Money { amount_minor: 1_999, currency: "USD".into() });
        c.flow.greeting = "Hi! Looking for a case?".into();
        c
    }

    #[test]
    fn every_legal_path_of_the_status_machine() {
        let mut c = ready();
        let now = Timestamp::now();
        c.transition(Transition::Activate, now).expect("draft → active");
        c.transition(Transition::Pause, now).expect("active → paused");
        c.transition(Transition::Resume, now).expect("paused → active");
        c.transition(Transition::Complete, now).expect("active → completed");
        assert_eq!(c.status, CampaignStatus::Completed);

        let mut paused = ready();
        paused.transition(Transition::Activate, now).expect("activate");
        paused.transition(Transition::Pause, now).expect("pause");
        paused.transition(Transition::Complete, now).expect("paused → completed");
    }

    #[test]
    fn illegal_moves_name_the_current_status() {
        use CampaignStatus::{Active, Completed, Draft, Paused};
        use Transition::{Activate, Complete, Pause, Resume};
        let illegal = [
            (Draft, Pause),
            (Draft, Resume),
            (Draft, Complete),
            (Active, Activate),
            (Active, Resume),
            (Paused, Activate),
            (Paused, Pause),
            (Completed, Activate),
            (Completed, Pause),
            (Completed, Resume),
            (Completed, Complete),
        ];
        for (from, action) in illegal {
            let mut c = ready();
            c.status = from;
            let err = c.transition(action, Timestamp::now()).expect_err("illegal");
            assert_eq!(err, TransitionError::Illegal { action, from });
            assert!(err.to_string().contains(from.as_str()), "{err}");
            assert_eq!(c.status, from, "a refused move changes nothing");
        }
    }

    #[test]
    fn activation_needs_name_price_and_greeting() {
        let mut c = Campaign::draft(UserId::new(), "Empty", Platform::Facebook, Timestamp::now());
        let err = c.transition(Transition::Activate, Timestamp::now()).expect_err("not ready");
        assert_eq!(
            err,
            TransitionError::NotReady { missing: vec!["product.name", "product.price", "flow.greeting"] }
        );
        assert_eq!(c.status, CampaignStatus::Draft);
    }

    #[test]
    fn pausing_drops_the_default_mark() {
        let mut c = ready();
        c.transition(Transition::Activate, Timestamp::now()).expect("activate");
        c.is_default = true;
        c.transition(Transition::Pause, Timestamp::now()).expect("pause");
        assert!(!c.is_default);
    }

    #[test]
    fn invalid_values_are_refused_with_the_field() {
        type Spoil = fn(&mut Campaign);
        let cases: [(&str, Spoil); 6] = [
            ("name", |c| c.name = "  ".into()),
            ("product.price.amount_minor", |c| {
                c.product.price = Some(Money { amount_minor: -1, currency: "USD".into() });
            }),
            ("product.price.currency", |c| {
                c.product.price = Some(Money { amount_minor: 1, currency: "dollars".into() });
            }),
            ("product.features[1]", |c| c.product.features = vec!["ok".into(), String::new()]),
            ("flow.qualification_questions[0].options[0]", |c| {
                c.flow.qualification_questions = vec![QualificationQuestion {
                    question: "Which phone?".into(),
                    options: vec!["x".repeat(21)],
                }];
            }),
            ("product.description", |c| c.product.description = "x".repeat(TEXT_MAX + 1)),
        ];
        for (field, spoil) in cases {
            let mut c = ready();
            spoil(&mut c);
            assert_eq!(c.validate().expect_err(field).field, field);
        }
        ready().validate().expect("a ready campaign is valid");
    }
}
