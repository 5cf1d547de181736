//! Typed identifiers: a `ChatId` can't be passed where a `CampaignId` is meant.
//!
//! Ids are UUIDv7, so they sort by creation time, and they travel as strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(self) -> Uuid {
                self.0
            }

            /// An id made from 16 bytes the caller derived (a hash of what the record
            /// stands for), so that the same thing always gets the same id (a version 8 UUID).
            pub fn from_custom_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Builder::from_custom_bytes(bytes).into_uuid())
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid)))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A business owner's account, and so the tenant every piece of data belongs to.
    UserId
);
id_type!(
    /// A login session (one access and one refresh token at a time).
    SessionId
);
id_type!(
    /// A document uploaded to the business's knowledge base.
    DocumentId
);
id_type!(
    /// A connected page or account on a messaging platform.
    IntegrationId
);
id_type!(
    /// A sales campaign.
    CampaignId
);
id_type!(
    /// One customer's conversation with one business on one platform.
    ChatId
);
id_type!(
    /// One message in a chat.
    MessageId
);
id_type!(
    /// A claim on one conversation's inbox events, held by one worker until it expires.
    LeaseId
);
id_type!(
    /// A conversation between the owner and Leo, their assistant.
    LeoConversationId
);
