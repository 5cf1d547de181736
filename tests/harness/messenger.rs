//! Messenger webhook payloads as Meta sends them, for the end-to-end tests and the load
//! tool: one builder per event kind, [`entry`] and [`standby`] to put events under a
//! page, [`batch`] for the POST body, [`bytes`] for its bytes in Meta's escaped form, and
//! [`signed`] for the `X-Hub-Signature-256` header (with the daemon's own algorithm).
//!
//! Events are from the customer (`psid`) to the page, except echoes, which go the other
//! way, as on the wire. Times are Unix milliseconds.

use std::fmt::Write as _;

use serde_json::{Value, json};

pub use closer_core::platform::facebook::webhook::SIGNATURE_HEADER;

/// A customer's text message.
pub fn text(page: &str, psid: &str, mid: &str, text: &str, ts_ms: i64) -> Value {
    from_customer(page, psid, ts_ms, "message", json!({ "mid": mid, "text": text }))
}

/// A tap on a quick reply: a message with its title as text and our payload.
pub fn quick_reply(page: &str, psid: &str, mid: &str, title: &str, payload: &str, ts_ms: i64) -> Value {
    let message = json!({ "mid": mid, "text": title, "quick_reply": { "payload": payload } });
    from_customer(page, psid, ts_ms, "message", message)
}

/// A tap on a button (`postback`).
pub fn postback(page: &str, psid: &str, mid: &str, title: &str, payload: &str, ts_ms: i64) -> Value {
    from_customer(page, psid, ts_ms, "postback", json!({ "mid": mid, "title": title, "payload": payload }))
}

/// A message with one attachment (`image`, `audio`, `video`, `file`…) and no text.
pub fn attachment(page: &str, psid: &str, mid: &str, kind: &str, url: &str, ts_ms: i64) -> Value {
    let message = json!({ "mid": mid, "attachments": [{ "type": kind, "payload": { "url": url } }] });
    from_customer(page, psid, ts_ms, "message", message)
}

/// The copy of a message the page sent to `psid`: by our app (our `app_id`) or by a
/// person in the page inbox (another `app_id`).
pub fn echo(page: &str, psid: &str, mid: &str, text: &str, app_id: &str, ts_ms: i64) -> Value {
    json!({
        "sender": { "id": page },
        "recipient": { "id": psid },
        "timestamp": ts_ms,
        "message": { "is_echo": true, "app_id": app_id, "mid": mid, "text": text },
    })
}

/// Our messages up to `watermark` (and `mids`) reached the customer. Meta sends these
/// without a `timestamp`.
pub fn delivery(page: &str, psid: &str, mids: &[&str], watermark: i64) -> Value {
    json!({
        "sender": { "id": psid },
        "recipient": { "id": page },
        "delivery": { "mids": mids, "watermark": watermark },
    })
}

/// The customer read everything up to `watermark`.
pub fn read(page: &str, psid: &str, watermark: i64) -> Value {
    from_customer(page, psid, watermark, "read", json!({ "watermark": watermark }))
}

/// One page's events (`entry[]` with `messaging`).
pub fn entry(page: &str, time: i64, events: Vec<Value>) -> Value {
    json!({ "id": page, "time": time, "messaging": Value::Array(events) })
}

/// One page's events while another app owns the conversation (`entry[]` with
/// `standby`): the same event shapes, for the record only.
pub fn standby(page: &str, time: i64, events: Vec<Value>) -> Value {
    json!({ "id": page, "time": time, "standby": Value::Array(events) })
}

/// The POST body: `{"object":"page","entry":[…]}`.
pub fn batch(entries: Vec<Value>) -> Value {
    json!({ "object": "page", "entry": Value::Array(entries) })
}

/// A body of one event under `page`, the common case.
pub fn single(page: &str, event: Value) -> Value {
    let time = event.get("timestamp").and_then(Value::as_i64).unwrap_or_default();
    batch(vec![entry(page, time, vec![event])])
}

/// The body's bytes as Meta sends them: compact JSON with every non-ASCII character
/// escaped (`é` as `\u00e9`, emoji as surrogate pairs). The signature is over these
/// bytes, so a daemon that verifies re-serialized JSON fails on them.
pub fn bytes(body: &Value) -> Vec<u8> {
    let json = serde_json::to_string(body).expect("a JSON value serializes");
    let mut escaped = String::with_capacity(json.len());
    // Outside strings JSON is ASCII, so every non-ASCII character is inside a string,
    // where an escape means the same character.
    for c in json.chars() {
        if c.is_ascii() {
            escaped.push(c);
        } else {
            let mut units = [0_u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(escaped, "\\u{unit:04x}");
            }
        }
    }
    escaped.into_bytes()
}

/// `body` and its `X-Hub-Signature-256` header value, signed with `app_secret`.
pub fn signed(app_secret: &str, body: &[u8]) -> (Vec<u8>, String) {
    (body.to_vec(), closer_core::platform::facebook::webhook::sign(app_secret, body))
}

fn from_customer(page: &str, psid: &str, ts_ms: i64, field: &str, content: Value) -> Value {
    let mut event = json!({ "sender": { "id": psid }, "recipient": { "id": page }, "timestamp": ts_ms });
    event[field] = content;
    event
}

#[cfg(test)]
mod tests {
    use closer_core::platform::facebook::webhook::{EventKind, parse_batch, verify_signature};

    use super::*;

    const PAGE: &str = "104729581234567";
    const PSID: &str = "2461918723456789";

    #[test]
    fn every_builder_reads_back_as_its_kind_in_the_daemons_parser() {
        let body = batch(vec![
            entry(
                PAGE,
                1_000,
                vec![
                    text(PAGE, PSID, "m_1", "Crème brûlée 🍮?", 1_000),
                    quick_reply(PAGE, PSID, "m_2", "Yes", "closing:yes", 1_001),
                    postback(PAGE, PSID, "m_3", "Order", "ORDER", 1_002),
                    attachment(PAGE, PSID, "m_4", "image", "https://cdn.example/a.jpg", 1_003),
                    echo(PAGE, PSID, "m_5", "Hi", "1517", 1_004),
                    delivery(PAGE, PSID, &["m_5"], 1_005),
                    read(PAGE, PSID, 1_006),
                ],
            ),
            standby(PAGE, 1_007, vec![text(PAGE, PSID, "m_6", "other app", 1_007)]),
        ]);
        let raw = bytes(&body);
        assert!(raw.is_ascii(), "escaped like Meta");
        assert!(String::from_utf8_lossy(&raw).contains(r"Cr\u00e8me br\u00fbl\u00e9e \ud83c\udf6e?"));

        let (signed_body, header) = signed("s3cret", &raw);
        assert_eq!(verify_signature("s3cret", &signed_body, Some(&header)), Ok(()));

        let events: Vec<_> = parse_batch(&signed_body)
            .expect("a page webhook")
            .into_iter()
            .map(|e| e.expect("readable"))
            .collect();
        let kinds: Vec<&str> = events.iter().map(|event| event.kind.name()).collect();
        assert_eq!(
            kinds,
            ["message", "message", "postback", "message", "echo", "delivery", "read", "message"]
        );
        assert!(
            matches!(&events[0].kind, EventKind::Message { text: Some(t), .. } if t == "Crème brûlée 🍮?")
        );
        assert!(events[7].standby);
        assert_eq!(events[5].timestamp_ms, 1_005, "a delivery's time is its watermark");
        assert!(events.iter().all(|event| event.customer_id() == PSID));
    }

    #[test]
    fn a_single_event_batch_takes_its_time() {
        let body = single(PAGE, text(PAGE, PSID, "m_1", "hi", 42));
        assert_eq!(body["entry"][0]["time"], 42);
        assert_eq!(body["entry"][0]["messaging"][0]["message"]["mid"], "m_1");
    }
}
