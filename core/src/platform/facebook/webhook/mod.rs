//! The Messenger webhook: checking that a POST comes from Meta ([`verify_signature`]),
//! then reading its events ([`parse_batch`]).
//!
//! One POST carries several entries (one per page), each with several events, and Meta
//! redelivers the whole POST until it gets a 200. So a body that is not a page webhook
//! at all is refused (the caller answers 400), but within one, each event is read on its
//! own: an event we cannot read is reported and skipped, never a reason to refuse (and
//! so have redelivered) the good events beside it.

mod event;
mod signature;

use serde_json::Value;

pub use event::{Attachment, EventKind, WebhookEvent};
pub use signature::{SIGNATURE_HEADER, SignatureError, sign, verify_signature};

/// One event of a batch: read, or why not.
pub type ParsedEvent = Result<WebhookEvent, EventError>;

/// A body that is not a Messenger webhook: answer 400, process nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("the webhook body is not JSON: {0}")]
    NotJson(String),
    /// Another product's webhook (`instagram`, `whatsapp_business_account`…) or none.
    #[error("the webhook is for {0}, not for \"page\"")]
    NotPage(String),
    #[error("the webhook body has no \"entry\" array")]
    NoEntries,
}

/// An event (or a whole entry) that could not be read. The rest of the batch was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {entry}{}: {reason}", position(*.list, *.index))]
pub struct EventError {
    /// Its entry's index in the body's `entry` array.
    pub entry: usize,
    /// `messaging` or `standby`; none when the whole entry could not be read.
    pub list: Option<&'static str>,
    /// Its index in that list.
    pub index: Option<usize>,
    /// The entry's page, when it has one.
    pub page_id: Option<String>,
    pub reason: String,
}

/// `, messaging[2]` after the entry's index.
fn position(list: Option<&str>, index: Option<usize>) -> String {
    match (list, index) {
        (Some(list), Some(index)) => format!(", {list}[{index}]"),
        (Some(list), None) => format!(", {list}"),
        (None, _) => String::new(),
    }
}

/// Reads a webhook body: every event of every entry's `messaging` and `standby`, in the
/// body's order (which is not the order they happened in: sort by
/// [`WebhookEvent::timestamp_ms`]).
pub fn parse_batch(body: &[u8]) -> Result<Vec<ParsedEvent>, BatchError> {
    let body: Value = serde_json::from_slice(body).map_err(|e| BatchError::NotJson(e.to_string()))?;
    match body.get("object") {
        Some(Value::String(object)) if object == "page" => {}
        Some(Value::String(object)) => return Err(BatchError::NotPage(format!("{object:?}"))),
        Some(_) | None => return Err(BatchError::NotPage("no \"object\"".to_owned())),
    }
    let entries = body.get("entry").and_then(Value::as_array).ok_or(BatchError::NoEntries)?;
    let mut events = Vec::new();
    for (entry_index, entry) in entries.iter().enumerate() {
        parse_entry(entry_index, entry, &mut events);
    }
    Ok(events)
}

fn parse_entry(entry_index: usize, entry: &Value, events: &mut Vec<ParsedEvent>) {
    let whole_entry = |page_id: Option<String>, reason: &str| EventError {
        entry: entry_index,
        list: None,
        index: None,
        page_id,
        reason: reason.to_owned(),
    };
    let Some(page_id) = event::id(entry.get("id")) else {
        events.push(Err(whole_entry(None, "an entry with no page id")));
        return;
    };
    let time = event::millis(entry.get("time"));
    let mut any = false;
    for (list, standby) in [("messaging", false), ("standby", true)] {
        let Some(value) = entry.get(list) else { continue };
        any = true;
        let Some(items) = value.as_array() else {
            events.push(Err(whole_entry(Some(page_id.clone()), &format!("\"{list}\" is not an array"))));
            continue;
        };
        for (index, item) in items.iter().enumerate() {
            events.push(event::parse_event(&page_id, time, item, standby).map_err(|reason| EventError {
                entry: entry_index,
                list: Some(list),
                index: Some(index),
                page_id: Some(page_id.clone()),
                reason,
            }));
        }
    }
    if !any {
        // `changes` (a page feed subscription) or something new: say so, once.
        events.push(Err(whole_entry(Some(page_id), "an entry with neither \"messaging\" nor \"standby\"")));
    }
}

#[cfg(test)]
mod tests;
