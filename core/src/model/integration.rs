//! Connections to messaging platforms: which page of which business, and whether it works.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::validate::{self, NAME_MAX, Validated};
use super::{IntegrationId, Timestamp, UserId};

/// A messaging platform Closer talks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Facebook,
    Instagram,
    Whatsapp,
    /// Records outgoing messages instead of calling a network: for trying the product
    /// and for demos.
    Sandbox,
}

impl Platform {
    pub const ALL: [Self; 4] = [Self::Facebook, Self::Instagram, Self::Whatsapp, Self::Sandbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
            Self::Whatsapp => "whatsapp",
            Self::Sandbox => "sandbox",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an integration can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    Connected,
    /// The platform refused the token (revoked, password changed): the owner must
    /// connect again; until then nothing is sent.
    NeedsReconnect,
    Disconnected,
}

impl IntegrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connected",
            Self::NeedsReconnect => "needs_reconnect",
            Self::Disconnected => "disconnected",
        }
    }
}

/// A page token sealed with the installation's secret key (AEAD, base64). Only the
/// daemon's crypto opens it; its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SealedToken(pub String);

impl fmt::Debug for SealedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedToken(********)")
    }
}

/// One business's connection to one page (or account) on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    pub id: IntegrationId,
    pub user_id: UserId,
    pub platform: Platform,
    /// The platform's id of the page: webhooks name it, and it routes each event to
    /// its business. One page belongs to at most one business.
    pub page_id: String,
    pub page_name: String,
    pub token: SealedToken,
    pub status: IntegrationStatus,
    pub connected_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Integration {
    pub fn validate(&self) -> Validated {
        validate::required("page_id", &self.page_id, 100)?;
        validate::optional("page_name", &self.page_name, NAME_MAX)?;
        Ok(())
    }
}
