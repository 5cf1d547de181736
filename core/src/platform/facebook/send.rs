//! Messenger's Send API (`POST /me/messages`): a message or a sender action to one
//! person, and what Graph's errors mean for the message (retry, tell the owner, give up).

use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

use super::{GraphClient, GraphError, TOKEN_INVALID};
use crate::platform::{
    MessagingType, OutgoingMessage, SendError, SendFailure, SenderAction, SentMessage, fit_quick_replies,
};

/// Graph's code and subcode for a message outside the 24-hour window.
const OUTSIDE_WINDOW: (i64, i64) = (10, 2_018_278);
/// Graph's code for a person who cannot be reached (blocked the page, left).
const PERSON_UNAVAILABLE: i64 = 551;

impl GraphClient {
    /// `POST /me/messages`: sends one message. The quick replies are fitted to
    /// Messenger's limits first; the text is sent as given (split it beforehand).
    pub async fn send_message(
        &self,
        page_token: &str,
        message: &OutgoingMessage,
    ) -> Result<SentMessage, GraphError> {
        #[derive(Deserialize)]
        struct Answer {
            message_id: String,
        }

        let body = message_body(message);
        let answer: Answer =
            self.call_with(Method::POST, self.messages_url(page_token)?, Some(&body)).await?;
        Ok(SentMessage { message_id: answer.message_id })
    }

    /// `POST /me/messages` with a `sender_action` alone: Messenger refuses it in the
    /// same request as a message.
    pub async fn sender_action(
        &self,
        page_token: &str,
        psid: &str,
        action: SenderAction,
    ) -> Result<(), GraphError> {
        let body = json!({ "recipient": { "id": psid }, "sender_action": action_name(action) });
        let _: IgnoredAny = self.call_with(Method::POST, self.messages_url(page_token)?, Some(&body)).await?;
        Ok(())
    }

    fn messages_url(&self, page_token: &str) -> Result<Url, GraphError> {
        let mut url = self.url(&["me", "messages"])?;
        url.query_pairs_mut().append_pair("access_token", page_token);
        Ok(url)
    }
}

/// The Send API's JSON for a message; empty quick replies and no metadata are left out,
/// as Graph refuses an empty `quick_replies`.
pub(super) fn message_body(message: &OutgoingMessage) -> Value {
    let mut content = json!({ "text": message.text });
    let quick_replies = fit_quick_replies(&message.quick_replies);
    if !quick_replies.is_empty() {
        content["quick_replies"] = quick_replies
            .iter()
            .map(|quick| json!({ "content_type": "text", "title": quick.title, "payload": quick.payload }))
            .collect();
    }
    if let Some(metadata) = &message.metadata {
        content["metadata"] = json!(metadata);
    }
    let mut body = json!({ "recipient": { "id": message.recipient }, "message": content });
    match message.messaging {
        MessagingType::Response => body["messaging_type"] = json!("RESPONSE"),
        MessagingType::HumanAgent => {
            body["messaging_type"] = json!("MESSAGE_TAG");
            body["tag"] = json!("HUMAN_AGENT");
        }
    }
    body
}

fn action_name(action: SenderAction) -> &'static str {
    match action {
        SenderAction::MarkSeen => "mark_seen",
        SenderAction::TypingOn => "typing_on",
        SenderAction::TypingOff => "typing_off",
    }
}

impl GraphError {
    /// What this error means for a message being sent.
    pub fn send_failure(&self) -> SendFailure {
        match self {
            // 341: "application limit reached", Graph's older name for the same thing.
            Self::Api { code: 4 | 17 | 32 | 341 | 613, .. } | Self::Malformed { status: 429, .. } => {
                SendFailure::RateLimited
            }
            Self::Api { code: TOKEN_INVALID, .. } => SendFailure::TokenInvalid,
            Self::Api { code: PERSON_UNAVAILABLE, .. } => SendFailure::Unreachable,
            Self::Api { code, subcode: Some(subcode), .. } if (*code, *subcode) == OUTSIDE_WINDOW => {
                SendFailure::OutsideWindow
            }
            Self::Api { code: 1 | 2, .. } | Self::Unreachable(_) => SendFailure::Temporary,
            Self::Api { status, .. } | Self::Malformed { status, .. } if *status >= 500 => {
                SendFailure::Temporary
            }
            Self::Api { status: 429, .. } => SendFailure::RateLimited,
            // A 2xx we cannot read may still have been sent: never retried.
            Self::Api { .. } | Self::Malformed { .. } => SendFailure::Rejected,
        }
    }
}

impl From<GraphError> for SendError {
    /// Graph's message and fbtrace id, which its errors carry and never a URL or token.
    fn from(error: GraphError) -> Self {
        Self::new(error.send_failure(), &error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QuickReply;

    fn api(status: u16, code: i64, subcode: Option<i64>) -> GraphError {
        GraphError::Api { status, code, subcode, message: "m".to_owned(), fbtrace_id: Some("T1".to_owned()) }
    }

    #[test]
    fn graph_errors_are_sorted_by_what_the_pipeline_does() {
        let kind = |error: GraphError| SendError::from(error).kind;
        for code in [613, 4, 17, 32] {
            assert_eq!(kind(api(400, code, None)), SendFailure::RateLimited, "{code}");
        }
        assert_eq!(kind(api(500, 1, None)), SendFailure::Temporary);
        assert_eq!(kind(api(503, 2, None)), SendFailure::Temporary);
        assert_eq!(kind(api(502, 12345, None)), SendFailure::Temporary);
        assert_eq!(kind(GraphError::Unreachable("timed out".to_owned())), SendFailure::Temporary);
        assert_eq!(
            kind(GraphError::Malformed { status: 502, detail: "html".to_owned() }),
            SendFailure::Temporary
        );
        assert_eq!(kind(api(400, 190, Some(460))), SendFailure::TokenInvalid);
        assert_eq!(kind(api(400, 551, Some(1_545_041))), SendFailure::Unreachable);
        assert_eq!(kind(api(400, 10, Some(2_018_278))), SendFailure::OutsideWindow);
        assert_eq!(kind(api(403, 10, None)), SendFailure::Rejected, "10 alone is a permission");
        assert_eq!(kind(api(400, 100, None)), SendFailure::Rejected);
        assert_eq!(kind(api(403, 200, None)), SendFailure::Rejected);
        assert_eq!(kind(api(403, 230, None)), SendFailure::Rejected);
        assert_eq!(
            kind(GraphError::Malformed { status: 200, detail: "no id".to_owned() }),
            SendFailure::Rejected
        );
    }

    #[test]
    fn the_owner_reads_graphs_message_and_trace_id() {
        let error = SendError::from(GraphError::Api {
            status: 400,
            code: 10,
            subcode: Some(2_018_278),
            message: "(#10) This message is sent outside of allowed window.".to_owned(),
            fbtrace_id: Some("AbC123".to_owned()),
        });
        assert_eq!(
            error.message,
            "more than 24 hours since the customer's last message: Graph API error 10/2018278: \
             (#10) This message is sent outside of allowed window. (fbtrace_id AbC123)"
        );
    }

    #[test]
    fn a_response_has_its_type_and_leaves_out_what_is_empty() {
        let body = message_body(&OutgoingMessage::response("2461", "Hello!"));
        assert_eq!(
            body,
            json!({
                "recipient": { "id": "2461" },
                "messaging_type": "RESPONSE",
                "message": { "text": "Hello!" },
            })
        );
    }

    #[test]
    fn a_human_agent_reply_carries_the_tag_and_quick_replies_are_fitted() {
        let message = OutgoingMessage::human_agent("2461", "Sure, I'll check.")
            .with_quick_replies(vec![
                QuickReply { title: "A title longer than twenty".to_owned(), payload: "p:1".to_owned() },
                QuickReply { title: " ".to_owned(), payload: "dropped".to_owned() },
            ])
            .with_metadata("closer:msg-1");
        assert_eq!(
            message_body(&message),
            json!({
                "recipient": { "id": "2461" },
                "messaging_type": "MESSAGE_TAG",
                "tag": "HUMAN_AGENT",
                "message": {
                    "text": "Sure, I'll check.",
                    "quick_replies": [
                        { "content_type": "text", "title": "A title longer than", "payload": "p:1" },
                    ],
                    "metadata": "closer:msg-1",
                },
            })
        );
    }
}
