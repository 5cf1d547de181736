//! The form that creates or edits a campaign. It checks what it can before sending
//! (with the model's own rules) and shows each problem beside its field, closerd's
//! refusals too; what was typed stays until it is saved or the owner drops it.

mod draw;

use closer_core::model::{Campaign, CampaignId, Money, Platform, QualificationQuestion, Timestamp, UserId};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Map, Value, json};

use super::fields::{self, Field, named_fields};
use super::money;
use crate::app::Tab;
use crate::backend::{Call, CallBody};
use crate::screens::input::{Edit, Input};

pub const CREATING: &str = "creating the campaign";
pub const SAVING: &str = "saving the campaign";
pub const REREADING: &str = "reading the campaign again";

/// A paste gone wrong, not a field: the model's limits are far below and are told
/// beside the field, with the text kept, when they are passed.
const MAX_CHARS: usize = 20_000;

/// What a key in the form asks of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormAction {
    /// Send this create or edit.
    Save(Call),
    /// Read the campaign again, then save over its current version.
    Reread(Call),
    /// Saved with nothing changed.
    Unchanged,
    /// Esc: close, asking first if something was typed.
    Cancel,
    Handled,
}

/// The form's values in the API's terms, once they passed the checks.
#[derive(Debug)]
struct Values {
    name: String,
    product: String,
    description: String,
    price: Option<Money>,
    features: Vec<String>,
    greeting: String,
    questions: Vec<QualificationQuestion>,
    closing: String,
}

#[derive(Debug)]
pub struct Form {
    /// The campaign edited, as it was read; `None` for a new one.
    original: Option<Campaign>,
    /// The version an edit names: the one read, so that an edit of a campaign changed
    /// meanwhile is refused (409) rather than overwriting the other change unseen.
    version: i64,
    /// A save was refused for no field (the campaign changed meanwhile): the next save
    /// reads the campaign again and names its current version, as the form says.
    over_newer: bool,
    /// When the form opened: a new campaign is checked as a draft of that time.
    opened_at: Timestamp,
    inputs: [Input; 9],
    /// What the fields held when the form opened: an edit sends only what changed, so
    /// it never undoes someone else's change to a field the owner did not touch.
    initial: [String; 9],
    focus: Field,
    errors: [Option<String>; 9],
    /// A refusal that names no field.
    general: Option<String>,
    saving: bool,
}

impl Form {
    /// A new campaign, its currency the one the business already sells in.
    pub fn new(currency: &str, now: Timestamp) -> Self {
        let mut initial: [String; 9] = Default::default();
        currency.clone_into(&mut initial[Field::Currency.at()]);
        Self::with(None, initial, now)
    }

    pub fn edit(campaign: &Campaign, now: Timestamp) -> Self {
        let product = &campaign.product;
        let flow = &campaign.flow;
        let initial = [
            campaign.name.clone(),
            product.name.clone(),
            product.description.clone(),
            product
                .price
                .as_ref()
                .map(|p| money::format_minor(p.amount_minor, &p.currency))
                .unwrap_or_default(),
            product.price.as_ref().map(|p| p.currency.clone()).unwrap_or_default(),
            product.features.join("; "),
            flow.greeting.clone(),
            fields::questions_text(&flow.qualification_questions),
            flow.closing_message.clone(),
        ];
        Self::with(Some(campaign.clone()), initial, now)
    }

    fn with(original: Option<Campaign>, initial: [String; 9], now: Timestamp) -> Self {
        let inputs = std::array::from_fn(|at| {
            let mut input = Input::with_limit(MAX_CHARS);
            input.set(&initial[at]);
            input
        });
        Self {
            version: original.as_ref().map_or(0, |c| c.version),
            original,
            over_newer: false,
            opened_at: now,
            inputs,
            initial,
            focus: Field::Name,
            errors: Default::default(),
            general: None,
            saving: false,
        }
    }

    pub fn campaign_id(&self) -> Option<CampaignId> {
        self.original.as_ref().map(|c| c.id)
    }

    pub fn is_saving(&self) -> bool {
        self.saving
    }

    pub fn has_changes(&self) -> bool {
        self.inputs.iter().zip(&self.initial).any(|(input, initial)| input.text() != initial)
    }

    pub fn paste(&mut self, text: &str) {
        self.inputs[self.focus.at()].paste(text);
    }

    pub fn key(&mut self, key: KeyEvent) -> FormAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('s') if ctrl => return self.save(),
            KeyCode::Enter if self.focus == Field::Closing => return self.save(),
            KeyCode::Tab | KeyCode::Down | KeyCode::Enter => self.focus = self.focus.next(),
            KeyCode::BackTab | KeyCode::Up => self.focus = self.focus.previous(),
            _ => match self.inputs[self.focus.at()].key(key) {
                Edit::Cancel => return FormAction::Cancel,
                // A field typed into is checked again at the next save.
                Edit::Changed => self.errors[self.focus.at()] = None,
                Edit::Submit | Edit::Ignored => {}
            },
        }
        FormAction::Handled
    }

    fn save(&mut self) -> FormAction {
        if self.saving {
            return FormAction::Handled;
        }
        let Some(values) = self.check() else { return FormAction::Handled };
        let Some(call) = self.call(&values) else { return FormAction::Unchanged };
        self.saving = true;
        match &self.original {
            Some(original) if self.over_newer => FormAction::Reread(Call::get(
                Tab::Campaigns,
                REREADING,
                format!("/campaigns/{}", original.id),
            )),
            _ => FormAction::Save(call),
        }
    }

    /// The campaign as it is now, read again after a refusal: the edit, naming its
    /// version (`None` if the form does not check out or nothing is left to change).
    pub fn save_over(&mut self, current: &Campaign) -> Option<Call> {
        self.saving = false;
        self.over_newer = false;
        self.version = current.version;
        let values = self.check()?;
        let call = self.call(&values)?;
        self.saving = true;
        Some(call)
    }

    /// closerd refused the save: beside the fields its message names, else under the
    /// form. `error` is "doing: closerd's message".
    pub fn refused(&mut self, error: &str, doing: &str) {
        self.saving = false;
        let message = error.strip_prefix(doing).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(error);
        let (named, problem) = named_fields(message);
        if named.is_empty() || problem.is_empty() {
            self.general = Some(error.to_owned());
            self.over_newer = self.original.is_some();
            return;
        }
        for (field, part) in named.iter().rev() {
            self.errors[field.at()] = Some(format!("{part}{problem}"));
            self.focus = *field;
        }
    }

    /// Something the form cannot go on without (the campaign was deleted meanwhile).
    pub fn note(&mut self, text: String) {
        self.saving = false;
        self.general = Some(text);
    }

    fn text(&self, field: Field) -> String {
        self.inputs[field.at()].text().trim().to_owned()
    }

    /// The values, or `None` with every problem beside its field.
    fn check(&mut self) -> Option<Values> {
        self.errors = Default::default();
        self.general = None;
        let currency = self.text(Field::Currency).to_ascii_uppercase();
        let price_text = self.text(Field::Price);
        let mut price = None;
        if !price_text.is_empty() {
            if currency.is_empty() {
                self.errors[Field::Currency.at()] = Some("type the price's currency, such as EUR".into());
            } else {
                match money::parse_minor(&price_text, &currency) {
                    Ok(amount_minor) => price = Some(Money { amount_minor, currency }),
                    Err(problem) => self.errors[Field::Price.at()] = Some(problem),
                }
            }
        }
        let values = Values {
            name: self.text(Field::Name),
            product: self.text(Field::Product),
            description: self.text(Field::Description),
            price,
            features: fields::list(self.inputs[Field::Features.at()].text()),
            greeting: self.text(Field::Greeting),
            questions: fields::questions(self.inputs[Field::Questions.at()].text()),
            closing: self.text(Field::Closing),
        };
        // The model's own checks, which stop at the first problem: that field is then
        // emptied in the copy checked, so the next round finds the next field's.
        let mut campaign = self.campaign_with(&values);
        for _ in Field::ALL {
            let Err(error) = campaign.validate() else { break };
            let Some((field, part)) = Field::of_path(&error.field) else {
                self.general = Some(error.to_string());
                break;
            };
            let slot = &mut self.errors[field.at()];
            slot.get_or_insert_with(|| format!("{part}{}", error.problem));
            empty(&mut campaign, field);
        }
        if let Some(first) = Field::ALL.into_iter().find(|field| self.errors[field.at()].is_some()) {
            self.focus = first;
            return None;
        }
        self.general.is_none().then_some(values)
    }

    fn campaign_with(&self, values: &Values) -> Campaign {
        let mut campaign = self.original.clone().unwrap_or_else(|| {
            // Checked only, never sent: the owner and ids are closerd's to give.
            Campaign::draft(UserId::from_custom_bytes([0; 16]), "", Platform::Facebook, self.opened_at)
        });
        campaign.name.clone_from(&values.name);
        campaign.product.name.clone_from(&values.product);
        campaign.product.description.clone_from(&values.description);
        campaign.product.price.clone_from(&values.price);
        campaign.product.features.clone_from(&values.features);
        campaign.flow.greeting.clone_from(&values.greeting);
        campaign.flow.qualification_questions.clone_from(&values.questions);
        campaign.flow.closing_message.clone_from(&values.closing);
        campaign
    }

    /// The create (every field filled in) or the edit (every field changed, and the
    /// version); `None` for an edit that changes nothing.
    fn call(&self, values: &Values) -> Option<Call> {
        let send = |field: Field| match &self.original {
            None => !self.inputs[field.at()].text().trim().is_empty(),
            Some(_) => self.inputs[field.at()].text() != self.initial[field.at()],
        };
        let mut product = Map::new();
        let mut flow = Map::new();
        let mut campaign = Map::new();
        if send(Field::Name) {
            campaign.insert("name".into(), json!(values.name));
        }
        for (field, key, value) in [
            (Field::Product, "name", json!(values.product)),
            (Field::Description, "description", json!(values.description)),
            (Field::Features, "features", json!(values.features)),
            (Field::Greeting, "greeting", json!(values.greeting)),
            (Field::Questions, "qualification_questions", json!(values.questions)),
            (Field::Closing, "closing_message", json!(values.closing)),
        ] {
            if send(field) {
                let in_flow = matches!(field, Field::Greeting | Field::Questions | Field::Closing);
                let part = if in_flow { &mut flow } else { &mut product };
                part.insert(key.into(), value);
            }
        }
        // A new campaign's currency alone is no price; an edit that empties the price
        // removes it (`null`).
        let price_changed = match &self.original {
            None => values.price.is_some(),
            Some(_) => send(Field::Price) || send(Field::Currency),
        };
        if price_changed {
            product.insert("price".into(), json!(values.price));
        }
        for (key, part) in [("product", product), ("flow", flow)] {
            if !part.is_empty() {
                campaign.insert(key.into(), Value::Object(part));
            }
        }
        match &self.original {
            None => Some(Call::post(
                Tab::Campaigns,
                CREATING,
                "/campaigns",
                CallBody::Json(Value::Object(campaign)),
            )),
            Some(_) if campaign.is_empty() => None,
            Some(original) => {
                campaign.insert("version".into(), json!(self.version));
                let path = format!("/campaigns/{}", original.id);
                Some(Call::patch(Tab::Campaigns, SAVING, path, Value::Object(campaign)))
            }
        }
    }
}

/// `field` emptied in a copy of the campaign, so the model's check moves past it.
fn empty(campaign: &mut Campaign, field: Field) {
    match field {
        Field::Name => campaign.name = "-".into(),
        Field::Product => campaign.product.name.clear(),
        Field::Description => campaign.product.description.clear(),
        Field::Price | Field::Currency => campaign.product.price = None,
        Field::Features => campaign.product.features.clear(),
        Field::Greeting => campaign.flow.greeting.clear(),
        Field::Questions => campaign.flow.qualification_questions.clear(),
        Field::Closing => campaign.flow.closing_message.clear(),
    }
}
