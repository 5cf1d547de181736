//! What a client may send to create or edit a campaign. Every field but the name is
//! optional, and a field left out of an edit stays as it is; unknown fields are
//! refused (400), so a misspelt one is never silently dropped. Texts are trimmed.

use closer_core::model::{
    Campaign, ChatFlow, Money, Platform, Problem, Product, QualificationQuestion, ValidationError,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

/// A new campaign: a draft until it is activated.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewCampaign {
    pub name: String,
    /// `facebook` unless said otherwise.
    pub platform: Option<Platform>,
    pub product: Option<ProductChanges>,
    pub flow: Option<FlowChanges>,
}

/// An edit. `version` is the one the client last read: if the campaign changed since,
/// the edit is refused (409) rather than overwriting the other change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CampaignChanges {
    pub version: i64,
    pub name: Option<String>,
    pub platform: Option<Platform>,
    pub product: Option<ProductChanges>,
    pub flow: Option<FlowChanges>,
    /// Read only to be refused with a pointer to the transition routes, which check
    /// what a status change needs.
    #[schema(ignore)]
    pub status: Option<IgnoredAny>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ProductChanges {
    name: Option<String>,
    description: Option<String>,
    /// `null` removes the price (a campaign cannot be activated without one). The
    /// currency is taken in any case (`usd` is `USD`).
    #[serde(default)]
    #[schema(value_type = Option<Money>)]
    price: PriceChange,
    /// Image URLs; the list sent replaces the stored one.
    images: Option<Vec<String>>,
    /// The list sent replaces the stored one.
    features: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct FlowChanges {
    greeting: Option<String>,
    /// In the order the AI asks them; the list sent replaces the stored one.
    qualification_questions: Option<Vec<QuestionInput>>,
    closing_message: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct QuestionInput {
    question: String,
    /// Offered as quick replies (at most 13, 20 characters each); none: a free answer.
    #[serde(default)]
    options: Vec<String>,
}

/// What an edit does to the price: `null` removes it, a value sets it, and leaving the
/// field out (`#[serde(default)]`) keeps it.
#[derive(Debug, Default)]
enum PriceChange {
    #[default]
    Keep,
    Remove,
    Set(Money),
}

impl<'de> Deserialize<'de> for PriceChange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<Money>::deserialize(d)?.map_or(Self::Remove, Self::Set))
    }
}

fn trimmed(text: &str) -> String {
    text.trim().to_owned()
}

fn all_trimmed(items: &[String]) -> Vec<String> {
    items.iter().map(|item| trimmed(item)).collect()
}

impl NewCampaign {
    pub fn apply(self, campaign: &mut Campaign) {
        if let Some(product) = self.product {
            product.apply(&mut campaign.product);
        }
        if let Some(flow) = self.flow {
            flow.apply(&mut campaign.flow);
        }
    }
}

impl CampaignChanges {
    pub fn apply(self, campaign: &mut Campaign) -> Result<(), ValidationError> {
        if self.status.is_some() {
            return Err(ValidationError::new(
                "status",
                Problem::NotAllowed {
                    reason: "is not edited: POST /api/v1/campaigns/{id}/activate, /pause, /resume or \
                             /complete changes it"
                        .into(),
                },
            ));
        }
        if let Some(name) = self.name {
            campaign.name = trimmed(&name);
        }
        if let Some(platform) = self.platform {
            campaign.platform = platform;
        }
        if let Some(product) = self.product {
            product.apply(&mut campaign.product);
        }
        if let Some(flow) = self.flow {
            flow.apply(&mut campaign.flow);
        }
        Ok(())
    }
}

impl ProductChanges {
    fn apply(self, product: &mut Product) {
        if let Some(name) = self.name {
            product.name = trimmed(&name);
        }
        if let Some(description) = self.description {
            product.description = trimmed(&description);
        }
        match self.price {
            PriceChange::Keep => {}
            PriceChange::Remove => product.price = None,
            PriceChange::Set(Money { amount_minor, currency }) => {
                product.price = Some(Money { amount_minor, currency: currency.trim().to_ascii_uppercase() });
            }
        }
        if let Some(images) = self.images {
            product.images = all_trimmed(&images);
        }
        if let Some(features) = self.features {
            product.features = all_trimmed(&features);
        }
    }
}

impl FlowChanges {
    fn apply(self, flow: &mut ChatFlow) {
        if let Some(greeting) = self.greeting {
            flow.greeting = trimmed(&greeting);
        }
        if let Some(questions) = self.qualification_questions {
            flow.qualification_questions = questions
                .into_iter()
                .map(|q| QualificationQuestion {
                    question: trimmed(&q.question),
                    options: all_trimmed(&q.options),
                })
                .collect();
        }
        if let Some(closing) = self.closing_message {
            flow.closing_message = trimmed(&closing);
        }
    }
}

#[cfg(test)]
mod tests {
    use closer_core::model::{Timestamp, UserId};
    use serde_json::json;

    use super::*;

    fn campaign() -> Campaign {
        let mut c = Campaign::draft(UserId::new(), "Spring", Platform::Facebook, Timestamp::now());
        c.product.name = "Case".into();
        c.product.price = Some(Money { amount_minor: 1_999, currency: "USD".into() });
        c.flow.greeting = "Hi".into();
        c
    }

    fn changes(body: serde_json::Value) -> CampaignChanges {
        serde_json::from_value(body).expect("valid changes")
    }

    #[test]
    fn only_the_fields_sent_change() {
        let mut c = campaign();
        changes(json!({ "version": 1, "product": { "description": "  Sturdy " } }))
            .apply(&mut c)
            .expect("ok");
        assert_eq!(c.product.description, "Sturdy");
        assert_eq!(c.product.name, "Case");
        assert!(c.product.price.is_some());
        assert_eq!(c.flow.greeting, "Hi");
    }

    #[test]
    fn a_null_price_removes_it_and_currencies_are_upper_cased() {
        let mut c = campaign();
        changes(json!({ "version": 1, "product": { "price": { "amount_minor": 5, "currency": " eur" } } }))
            .apply(&mut c)
            .expect("ok");
        assert_eq!(c.product.price, Some(Money { amount_minor: 5, currency: "EUR".into() }));
        changes(json!({ "version": 1, "product": { "price": null } })).apply(&mut c).expect("ok");
        assert_eq!(c.product.price, None);
    }

    #[test]
    fn status_is_refused_and_unknown_fields_do_not_parse() {
        let error =
            changes(json!({ "version": 1, "status": "active" })).apply(&mut campaign()).expect_err("no");
        assert_eq!(error.field, "status");
        assert!(
            serde_json::from_value::<CampaignChanges>(json!({ "version": 1, "is_default": true })).is_err()
        );
        assert!(
            serde_json::from_value::<CampaignChanges>(json!({ "name": "x" })).is_err(),
            "version is required"
        );
        let nested = json!({ "version": 1, "product": { "prize": 3 } });
        assert!(serde_json::from_value::<CampaignChanges>(nested).is_err());
    }
}
