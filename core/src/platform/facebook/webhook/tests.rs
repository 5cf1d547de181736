use serde_json::{Value, json};

use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const PAGE: &str = "104729581234567";
const PSID: &str = "2461918723456789";

// ---- signature ----

#[test]
fn a_known_hmac_sha256_is_what_sign_gives() {
    // RFC 4231-style known answer (the classic "quick brown fox" vector).
    assert_eq!(
        sign("key", b"The quick brown fox jumps over the lazy dog"),
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
}

#[test]
fn a_body_signed_with_our_secret_is_accepted() {
    let body = br#"{"object":"page","entry":[]}"#;
    let header = sign(SECRET, body);
    assert_eq!(verify_signature(SECRET, body, Some(&header)), Ok(()));
    // Upper-case digits and surrounding spaces are still the same signature.
    let upper = format!("  sha256={}  ", header["sha256=".len()..].to_uppercase());
    assert_eq!(verify_signature(SECRET, body, Some(&upper)), Ok(()));
}

#[test]
fn each_way_a_signature_can_be_wrong_has_its_own_error() {
    let body = br#"{"object":"page","entry":[]}"#;
    let good = sign(SECRET, body);
    let digits = &good["sha256=".len()..];
    assert_eq!(verify_signature(SECRET, body, None), Err(SignatureError::Missing));
    assert_eq!(verify_signature(SECRET, body, Some("")), Err(SignatureError::Missing));
    assert_eq!(
        verify_signature(SECRET, body, Some(&format!("sha1={digits}"))),
        Err(SignatureError::WrongPrefix)
    );
    assert_eq!(verify_signature(SECRET, body, Some(digits)), Err(SignatureError::WrongPrefix));
    assert_eq!(verify_signature(SECRET, body, Some("sha256=zz-not-hex")), Err(SignatureError::NotHex));
    assert_eq!(verify_signature(SECRET, body, Some(&good[..good.len() - 2])), Err(SignatureError::NotHex));
    let other = sign(SECRET, br#"{"object":"page","entry":[{}]}"#);
    assert_eq!(verify_signature(SECRET, body, Some(&other)), Err(SignatureError::Mismatch));
    assert_eq!(verify_signature("another secret", body, Some(&good)), Err(SignatureError::Mismatch));
    assert_eq!(verify_signature("", body, Some(&sign("", body))), Err(SignatureError::NoSecret));
    assert!(SignatureError::Mismatch.to_string().contains("another app secret"));
}

#[test]
fn the_signature_is_over_the_raw_escaped_bytes_not_the_json_they_mean() {
    // As Meta sends it: non-ASCII escaped. "Crème brûlée 🍮 ¿cuánto?".
    let raw = br#"{"object":"page","entry":[{"id":"1","time":1,"messaging":[{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1,"message":{"mid":"m.1","text":"Cr\u00e8me br\u00fbl\u00e9e \ud83c\udf6e \u00bfcu\u00e1nto?"}}]}]}"#;
    let header = sign(SECRET, raw);
    assert_eq!(verify_signature(SECRET, raw, Some(&header)), Ok(()));

    // The same JSON, re-serialized (UTF-8, not escaped), is other bytes.
    let value: Value = serde_json::from_slice(raw).expect("JSON");
    let reserialized = serde_json::to_vec(&value).expect("serializes");
    assert_ne!(reserialized, raw.to_vec());
    assert_eq!(verify_signature(SECRET, &reserialized, Some(&header)), Err(SignatureError::Mismatch));

    let events = parse_batch(raw).expect("a page webhook");
    let EventKind::Message { text, .. } = &events[0].as_ref().expect("readable").kind else {
        panic!("a message: {events:?}");
    };
    assert_eq!(text.as_deref(), Some("Crème brûlée 🍮 ¿cuánto?"));
}

// ---- parsing ----

fn batch(events: Value) -> Vec<u8> {
    let mut body = json!({ "object": "page", "entry": [{ "id": PAGE, "time": 1_700_000_000_500_i64 }] });
    body["entry"][0]["messaging"] = events;
    serde_json::to_vec(&body).expect("serializes")
}

/// An event from the customer to the page, with `fields` added or replaced.
fn event(fields: Value) -> Value {
    let mut event =
        json!({ "sender": { "id": PSID }, "recipient": { "id": PAGE }, "timestamp": 1_700_000_000_000_i64 });
    let Value::Object(fields) = fields else { panic!("fields are an object") };
    for (key, value) in fields {
        event[key] = value;
    }
    event
}

fn parse_one(fields: Value) -> WebhookEvent {
    let events = parse_batch(&batch(json!([event(fields)]))).expect("a page webhook");
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().expect("one").expect("readable")
}

#[test]
fn a_text_message_is_read_with_its_ids_and_time() {
    let parsed =
        parse_one(json!({ "message": { "mid": "m_abc", "text": "How much is the cake?", "nlp": {} } }));
    assert_eq!(parsed.page_id, PAGE);
    assert_eq!(parsed.sender_id, PSID);
    assert_eq!(parsed.recipient_id, PAGE);
    assert_eq!(parsed.timestamp_ms, 1_700_000_000_000);
    assert!(!parsed.standby);
    assert_eq!(
        parsed.kind,
        EventKind::Message {
            mid: "m_abc".to_owned(),
            text: Some("How much is the cake?".to_owned()),
            quick_reply_payload: None,
            attachments: vec![],
            referral: None,
        }
    );
    assert_eq!(parsed.raw["message"]["nlp"], json!({}), "the raw event keeps every field");
    assert_eq!(parsed.customer_id(), PSID);
    assert_eq!(parsed.conversation(), format!("facebook:{PAGE}:{PSID}"));
}

#[test]
fn a_quick_reply_tap_attachments_and_a_referral_are_read() {
    let tap = parse_one(json!({
        "message": { "mid": "m_1", "text": "Yes", "quick_reply": { "payload": "closing:yes" } }
    }));
    assert!(matches!(
        tap.kind,
        EventKind::Message { quick_reply_payload: Some(ref p), .. } if p == "closing:yes"
    ));

    let photo = parse_one(json!({
        "message": {
            "mid": "m_2",
            "attachments": [
                { "type": "image", "payload": { "url": "https://cdn.example/cake.jpg" } },
                { "type": "location", "payload": { "coordinates": { "lat": 1.0, "long": 2.0 } } },
                { "payload": {} },
            ],
            "referral": { "ref": "summer-ad", "source": "ADS", "type": "OPEN_THREAD" },
        }
    }));
    let EventKind::Message { text, attachments, referral, .. } = photo.kind else { panic!("{photo:?}") };
    assert_eq!(text, None, "a message may have no text");
    assert_eq!(
        attachments,
        [
            Attachment { kind: "image".to_owned(), url: Some("https://cdn.example/cake.jpg".to_owned()) },
            Attachment { kind: "location".to_owned(), url: None },
            Attachment { kind: "unknown".to_owned(), url: None },
        ]
    );
    assert_eq!(referral.as_deref(), Some("summer-ad"));
}

#[test]
fn an_echo_belongs_to_the_customer_it_was_sent_to() {
    let echo = parse_one(json!({
        "sender": { "id": PAGE },
        "recipient": { "id": PSID },
        "message": {
            "is_echo": true,
            "app_id": 1_517_000_001_i64,
            "mid": "m_echo",
            "text": "Hi!",
            "metadata": "closer:1",
        },
    }));
    assert_eq!(
        echo.kind,
        EventKind::Echo {
            mid: "m_echo".to_owned(),
            app_id: Some("1517000001".to_owned()),
            text: Some("Hi!".to_owned()),
            metadata: Some("closer:1".to_owned()),
        }
    );
    assert_eq!(echo.customer_id(), PSID);
    assert_eq!(echo.conversation(), format!("facebook:{PAGE}:{PSID}"));
    assert_eq!(echo.inbox_key(), "facebook:mid:m_echo");
}

#[test]
fn postbacks_deliveries_reads_and_referrals_are_read() {
    let postback = parse_one(json!({
        "postback": {
            "mid": "m_pb", "title": "Order now", "payload": "ORDER", "referral": { "ref": "qr-shop" },
        }
    }));
    assert_eq!(
        postback.kind,
        EventKind::Postback {
            mid: Some("m_pb".to_owned()),
            title: "Order now".to_owned(),
            payload: "ORDER".to_owned(),
            referral: Some("qr-shop".to_owned()),
        }
    );

    let delivery =
        parse_one(json!({ "delivery": { "mids": ["m_1", "m_2"], "watermark": 1_700_000_000_900_i64 } }));
    assert_eq!(
        delivery.kind,
        EventKind::Delivery { mids: vec!["m_1".to_owned(), "m_2".to_owned()], watermark: 1_700_000_000_900 }
    );

    let read = parse_one(json!({ "read": { "watermark": 1_700_000_000_950_i64 } }));
    assert_eq!(read.kind, EventKind::Read { watermark: 1_700_000_000_950 });

    let referral =
        parse_one(json!({ "referral": { "ref": "spring", "source": "SHORTLINK", "type": "OPEN_THREAD" } }));
    assert_eq!(referral.kind, EventKind::Referral { referral: "spring".to_owned() });
    let ad = parse_one(json!({ "referral": { "source": "ADS", "ad_id": "6045246247433" } }));
    assert_eq!(ad.kind, EventKind::Referral { referral: "ADS".to_owned() });

    let reaction = parse_one(json!({ "reaction": { "mid": "m_1", "action": "react", "emoji": "❤" } }));
    assert_eq!(reaction.kind, EventKind::Unsupported { what: "reaction".to_owned() });
    assert_eq!(reaction.kind.name(), "reaction");
}

#[test]
fn a_delivery_without_a_timestamp_takes_its_watermark() {
    let body = batch(json!([{
        "sender": { "id": PSID }, "recipient": { "id": PAGE },
        "delivery": { "mids": [], "watermark": 1_700_000_000_777_i64 },
    }]));
    let events = parse_batch(&body).expect("a page webhook");
    assert_eq!(events[0].as_ref().expect("readable").timestamp_ms, 1_700_000_000_777);
}

#[test]
fn ids_and_times_may_come_as_numbers_or_strings() {
    let body = serde_json::to_vec(&json!({
        "object": "page",
        "entry": [{
            "id": 104_729_581_234_567_i64,
            "time": "1700000000500",
            "messaging": [{
                "sender": { "id": 2_461_918_723_456_789_i64 },
                "recipient": { "id": 104_729_581_234_567_i64 },
                "timestamp": "1700000000000",
                "message": { "mid": "m_n", "text": "hi" },
            }],
        }],
    }))
    .expect("serializes");
    let parsed = parse_batch(&body).expect("a page webhook").remove(0).expect("readable");
    assert_eq!((parsed.page_id.as_str(), parsed.sender_id.as_str()), (PAGE, PSID));
    assert_eq!(parsed.recipient_id, PAGE);
    assert_eq!(parsed.timestamp_ms, 1_700_000_000_000);
}

#[test]
fn one_bad_event_is_reported_and_the_others_are_read() {
    let body = batch(json!([
        event(json!({ "message": { "mid": "m_1", "text": "first" } })),
        { "recipient": { "id": PAGE }, "timestamp": 1, "message": { "mid": "m_x", "text": "no sender" } },
        event(json!({ "message": { "text": "no mid" } })),
        "not an object",
        event(json!({ "message": { "mid": "m_2", "text": "last" } })),
    ]));
    let events = parse_batch(&body).expect("a page webhook");
    assert_eq!(events.len(), 5);
    assert!(events[0].is_ok() && events[4].is_ok());
    let errors: Vec<String> = events[1..4].iter().map(|e| e.as_ref().expect_err("bad").to_string()).collect();
    assert_eq!(
        errors,
        [
            "entry 0, messaging[1]: no sender.id",
            "entry 0, messaging[2]: a message with no mid",
            "entry 0, messaging[3]: the event is not an object",
        ]
    );
    let error = events[2].as_ref().expect_err("bad");
    assert_eq!((error.entry, error.list, error.index), (0, Some("messaging"), Some(2)));
    assert_eq!(error.page_id.as_deref(), Some(PAGE));
}

#[test]
fn entries_are_read_one_by_one_and_standby_events_are_marked() {
    let body = serde_json::to_vec(&json!({
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": 1,
                "messaging": [event(json!({ "message": { "mid": "m_1", "text": "a" } }))],
            },
            { "time": 2, "messaging": [] },
            { "id": "555", "time": 3, "standby": [
                { "sender": { "id": PSID }, "recipient": { "id": "555" }, "timestamp": 3,
                  "message": { "mid": "m_s", "text": "to the other app" } },
                { "sender": { "id": PSID }, "recipient": { "id": "555" }, "timestamp": 4,
                  "read": { "watermark": 4 } },
            ] },
            { "id": "777", "time": 5, "changes": [{ "field": "feed" }] },
            { "id": "888", "time": 6, "messaging": { "not": "a list" } },
        ],
    }))
    .expect("serializes");
    let events = parse_batch(&body).expect("a page webhook");
    assert_eq!(events.len(), 6, "{events:#?}");
    assert!(!events[0].as_ref().expect("readable").standby);
    assert_eq!(events[1].as_ref().expect_err("no id").to_string(), "entry 1: an entry with no page id");
    let standby = events[2].as_ref().expect("readable");
    assert!(standby.standby && standby.page_id == "555");
    assert_eq!(standby.inbox_key(), "facebook:mid:m_s");
    let read = events[3].as_ref().expect("readable");
    assert!(read.standby);
    assert_eq!(read.inbox_key(), format!("facebook:555:{PSID}:4:read"));
    assert_eq!(events[4].as_ref().expect_err("changes").entry, 3);
    assert_eq!(
        events[5].as_ref().expect_err("not a list").to_string(),
        "entry 4: \"messaging\" is not an array"
    );
}

#[test]
fn a_body_that_is_not_a_page_webhook_is_refused_whole() {
    assert!(matches!(parse_batch(b"not json"), Err(BatchError::NotJson(_))));
    assert!(matches!(parse_batch(b""), Err(BatchError::NotJson(_))));
    assert_eq!(
        parse_batch(br#"{"object":"instagram","entry":[]}"#),
        Err(BatchError::NotPage("\"instagram\"".to_owned()))
    );
    assert_eq!(parse_batch(br#"{"entry":[]}"#), Err(BatchError::NotPage("no \"object\"".to_owned())));
    assert_eq!(parse_batch(br"[1,2]"), Err(BatchError::NotPage("no \"object\"".to_owned())));
    assert_eq!(parse_batch(br#"{"object":"page"}"#), Err(BatchError::NoEntries));
    assert_eq!(parse_batch(br#"{"object":"page","entry":{}}"#), Err(BatchError::NoEntries));
    assert_eq!(parse_batch(br#"{"object":"page","entry":[]}"#), Ok(vec![]));
    assert_eq!(
        BatchError::NotPage("\"instagram\"".to_owned()).to_string(),
        "the webhook is for \"instagram\", not for \"page\""
    );
}

/// Bodies with bytes changed here and there (a fixed generator, so a failure repeats):
/// whatever they read as, nothing panics.
#[test]
fn damaged_bodies_never_panic() {
    let good = batch(json!([
        event(json!({
            "message": { "mid": "m_1", "text": "Crème 🍮", "quick_reply": { "payload": "p" } },
        })),
        event(json!({ "delivery": { "mids": ["m_1"], "watermark": 5 } })),
        event(json!({ "postback": { "title": "Go", "payload": "GO" } })),
    ]));
    let mut state: u64 = 0xfeed;
    let mut next = |below: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(state >> 33).expect("31 bits fit") % below
    };
    let alphabet = br#"{}[]":,0123456789 -.eE\u"#;
    for _ in 0..3000 {
        let mut body = good.clone();
        for _ in 0..=next(4) {
            let at = next(body.len());
            body[at] = alphabet[next(alphabet.len())];
        }
        body.truncate(body.len() - next(3));
        if let Ok(events) = parse_batch(&body) {
            for event in events.iter().flatten() {
                let _ = (event.inbox_key(), event.conversation());
            }
        }
    }
}

// ---- inbox keys ----

#[test]
fn a_redelivered_event_has_the_same_key_and_different_events_never_share_one() {
    let message = json!({ "message": { "mid": "m_same", "text": "hi" } });
    let first = parse_one(message.clone());
    let mut again = event(message);
    again["timestamp"] = json!(1_700_000_099_999_i64);
    let redelivered = parse_batch(&batch(json!([again]))).expect("page").remove(0).expect("readable");
    assert_eq!(first.inbox_key(), "facebook:mid:m_same");
    assert_eq!(first.inbox_key(), redelivered.inbox_key(), "the mid alone identifies a message");

    let watermark = json!({ "watermark": 1_700_000_000_000_i64 });
    let delivery =
        parse_one(json!({ "delivery": { "mids": ["m_same"], "watermark": 1_700_000_000_000_i64 } }));
    let read = parse_one(json!({ "read": watermark }));
    let referral = parse_one(json!({ "referral": { "ref": "x" } }));
    let postback_without_mid = parse_one(json!({ "postback": { "title": "Go", "payload": "GO" } }));
    let keys = [
        first.inbox_key(),
        delivery.inbox_key(),
        read.inbox_key(),
        referral.inbox_key(),
        postback_without_mid.inbox_key(),
    ];
    assert_eq!(keys[1], format!("facebook:{PAGE}:{PSID}:1700000000000:delivery"));
    assert_eq!(keys[2], format!("facebook:{PAGE}:{PSID}:1700000000000:read"));
    assert_eq!(keys[4], format!("facebook:{PAGE}:{PSID}:1700000000000:postback"));
    let distinct: std::collections::HashSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "{keys:?}");
    assert_eq!(read.inbox_key(), parse_one(json!({ "read": watermark })).inbox_key());
}
