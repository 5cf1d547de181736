//! What the owner should do next, derived from their data in a fixed order of urgency:
//! people waiting, hot leads going cold, campaigns that talk but do not sell, messages
//! left unanswered, setup not finished.

use serde::Serialize;

use super::chats::{open_leads, waiting_for_human};
use super::figures::{self, percent, rank, rows_of};
use super::{ChatLine, ToolError};
use crate::ai::leo::period::PeriodSpec;
use crate::analytics::Summary;
use crate::model::{Campaign, CampaignStatus, Timestamp, UserId};
use crate::store::Store;

/// A lead at least this hot is worth the owner's own message.
pub const HOT_SCORE: u8 = 60;
/// The days the campaign and response checks look back over.
const RECENT_DAYS: u32 = 7;
/// Below this response rate the unanswered messages are worth a look.
const RESPONSE_RATE_FLOOR: f64 = 0.95;
/// People named in one step, at most.
const MAX_NAMED: usize = 5;

/// What a step is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    AnswerWaitingChats,
    FollowUpHotLeads,
    FixCampaign,
    UnansweredMessages,
    TrainKnowledgeBase,
    ActivateCampaign,
    AllClear,
}

/// One piece of advice, with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    pub text: String,
}

/// The `next_steps` tool's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextSteps {
    /// Most urgent first; never empty (at worst, [`StepKind::AllClear`]).
    pub steps: Vec<Step>,
}

/// The advice for `tenant` as of `now`.
pub async fn next_steps(store: &dyn Store, tenant: UserId, now: Timestamp) -> Result<NextSteps, ToolError> {
    let mut steps = people(store, tenant).await?;
    let campaigns = store.list_campaigns(tenant, None).await?;
    steps.extend(selling(store, tenant, now, &campaigns).await?);
    if store.knowledge_status(tenant).await?.is_none() {
        steps.push(Step {
            kind: StepKind::TrainKnowledgeBase,
            text: "Your knowledge base has never been trained: add your documents and train it, so the AI \
                   answers from your own facts."
                .to_owned(),
        });
    }
    if !campaigns.iter().any(|c| c.status == CampaignStatus::Active) {
        steps.push(Step {
            kind: StepKind::ActivateCampaign,
            text: "No campaign is active: activate one so new chats get your product's flow.".to_owned(),
        });
    }
    if steps.is_empty() {
        steps.push(Step {
            kind: StepKind::AllClear,
            text: "Nothing needs you right now: no chat is waiting, no hot lead is left without a follow-up \
                   and every campaign with traffic is selling."
                .to_owned(),
        });
    }
    Ok(NextSteps { steps })
}

/// People first: chats waiting for the owner, then hot leads not waiting but not sold.
async fn people(store: &dyn Store, tenant: UserId) -> Result<Vec<Step>, ToolError> {
    let mut steps = Vec::new();
    let waiting = waiting_for_human(store, tenant).await?;
    if waiting.count > 0 {
        let chats = if waiting.count == 1 { "chat is" } else { "chats are" };
        let names = named(&waiting.chats, |c| {
            let why = if c.handoff_requested { "asked for a person" } else { "you took over" };
            format!("{} ({why})", c.customer)
        });
        let text = format!("{} {chats} waiting for you: {names}.", waiting.count);
        steps.push(Step { kind: StepKind::AnswerWaitingChats, text });
    }

    let hot: Vec<_> = open_leads(store, tenant, HOT_SCORE)
        .await?
        .into_iter()
        .filter(|chat| !waiting.chats.iter().any(|w| w.id == chat.id))
        .collect();
    if !hot.is_empty() {
        let names: Vec<String> = hot
            .iter()
            .take(MAX_NAMED)
            .map(|chat| {
                let name = if chat.customer_name.trim().is_empty() {
                    &chat.customer_id
                } else {
                    &chat.customer_name
                };
                format!("{} ({})", name.trim(), chat.lead.score)
            })
            .collect();
        let leads = if hot.len() == 1 { "hot lead has" } else { "hot leads have" };
        let text = format!(
            "{} {leads} not bought yet (score {HOT_SCORE}+): follow up with {}{}.",
            hot.len(),
            names.join(", "),
            more(hot.len())
        );
        steps.push(Step { kind: StepKind::FollowUpHotLeads, text });
    }
    Ok(steps)
}

/// Then the last days' selling: campaigns with traffic and no sales, messages left
/// unanswered.
async fn selling(
    store: &dyn Store,
    tenant: UserId,
    now: Timestamp,
    campaigns: &[Campaign],
) -> Result<Vec<Step>, ToolError> {
    let mut steps = Vec::new();
    let recent = figures::resolve(PeriodSpec::LastDays { days: RECENT_DAYS }, now)?;
    let rows = rows_of(store, tenant, recent.period).await?;
    let ranking = rank(campaigns, &rows, &recent);
    for campaign in ranking.campaigns.iter().filter(|c| c.conversions == 0 && c.messages_received > 0) {
        let text = format!(
            "Campaign \"{}\" had {} messages, {} conversations and {} leads in {} but no sales: review its offer \
             and closing message.",
            campaign.name, campaign.messages_received, campaign.conversations, campaign.leads, recent.label
        );
        steps.push(Step { kind: StepKind::FixCampaign, text });
    }

    let summary = Summary::of(&rows, recent.period);
    let unanswered = summary.totals.messages_received - summary.totals.messages_answered;
    if let Some(rate) = summary.response_rate
        && unanswered > 0
        && rate < RESPONSE_RATE_FLOOR
    {
        let text = format!(
            "{unanswered} of {} customer messages in {} got no answer ({} response rate): look at the chats in \
             human mode and at failed sends.",
            summary.totals.messages_received,
            recent.label,
            percent(rate)
        );
        steps.push(Step { kind: StepKind::UnansweredMessages, text });
    }
    Ok(steps)
}

fn named(chats: &[ChatLine], each: impl Fn(&ChatLine) -> String) -> String {
    let names: Vec<String> = chats.iter().take(MAX_NAMED).map(each).collect();
    format!("{}{}", names.join(", "), more(chats.len()))
}

fn more(count: usize) -> String {
    if count > MAX_NAMED { format!(" and {} more", count - MAX_NAMED) } else { String::new() }
}
