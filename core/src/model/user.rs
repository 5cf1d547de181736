//! Business owners' accounts, their business information and login sessions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::validate::{self, NAME_MAX, Problem, TEXT_MAX, Validated, ValidationError};
use super::{DocumentId, SessionId, Timestamp, UserId};

/// An email address, trimmed and lower-cased so that one person has one account.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    const MAX: usize = 254;

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let email = text.trim().to_lowercase();
        let malformed = || {
            ValidationError::new("email", Problem::Malformed { expected: "an address like name@example.com" })
        };
        if email.is_empty() {
            return Err(ValidationError::new("email", Problem::Empty));
        }
        if email.len() > Self::MAX {
            return Err(ValidationError::new("email", Problem::TooLong { max_chars: Self::MAX }));
        }
        let (local, domain) = email.split_once('@').ok_or_else(malformed)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty() && !local.contains(char::is_whitespace) && !local.contains('@');
        if !(domain_ok && local_ok) {
            return Err(malformed());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Email)))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Email {}

impl FromStr for Email {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

/// A password hash in PHC string form (argon2id). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(********)")
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs one business: its own data only.
    #[default]
    Owner,
    /// Operates the installation.
    Admin,
}

/// What the AI knows about the business, from onboarding. Empty text means not given.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BusinessInfo {
    pub business_name: String,
    pub owner_name: String,
    pub industry: String,
    pub description: String,
    pub website: String,
    pub phone: String,
}

impl BusinessInfo {
    pub fn validate(&self) -> Validated {
        validate::optional("business_name", &self.business_name, NAME_MAX)?;
        validate::optional("owner_name", &self.owner_name, NAME_MAX)?;
        validate::optional("industry", &self.industry, NAME_MAX)?;
        validate::optional("description", &self.description, TEXT_MAX)?;
        validate::optional("website", &self.website, 2_000)?;
        validate::optional("phone", &self.phone, 40)?;
        if !self.phone.is_empty() && !self.phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
            return Err(ValidationError::new(
                "phone",
                Problem::Malformed { expected: "digits, spaces and + - ( ) ." },
            ));
        }
        Ok(())
    }

    /// The fields onboarding cannot finish without, by name, that are still empty.
    pub fn missing_required(&self) -> Vec<&'static str> {
        [
            ("business_name", &self.business_name),
            ("owner_name", &self.owner_name),
            ("industry", &self.industry),
            ("description", &self.description),
        ]
        .into_iter()
        .filter(|(_, value)| value.trim().is_empty())
        .map(|(name, _)| name)
        .collect()
    }
}

/// A business owner's account; every other record belongs to one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub role: Role,
    pub business: BusinessInfo,
    /// Set once the required business information is complete; the console's
    /// onboarding wizard shows until then.
    pub onboarding_completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    pub fn new(email: Email, password_hash: PasswordHash, now: Timestamp) -> Self {
        Self {
            id: UserId::new(),
            email,
            password_hash,
            role: Role::Owner,
            business: BusinessInfo::default(),
            onboarding_completed_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn validate(&self) -> Validated {
        self.business.validate()?;
        if self.password_hash.0.is_empty() {
            return Err(ValidationError::new("password_hash", Problem::Empty));
        }
        Ok(())
    }
}

/// A document uploaded to the knowledge base (plain text or Markdown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub user_id: UserId,
    pub filename: String,
    pub content_type: String,
    pub content: String,
    pub uploaded_at: Timestamp,
}

/// A document without its content, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentMeta {
    pub id: DocumentId,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub uploaded_at: Timestamp,
}

impl Document {
    /// The largest document we take: 1 MiB keeps training fast and the store small.
    pub const MAX_BYTES: usize = 1024 * 1024;
    /// The most documents one business may keep.
    pub const MAX_PER_BUSINESS: usize = 50;

    pub fn validate(&self) -> Validated {
        validate::required("filename", &self.filename, 255)?;
        validate::required("content_type", &self.content_type, 100)?;
        if self.content.len() > Self::MAX_BYTES {
            return Err(ValidationError::new(
                "content",
                Problem::NotAllowed {
                    reason: format!(
                        "is {} bytes; the limit is {} bytes (1 MiB)",
                        self.content.len(),
                        Self::MAX_BYTES
                    ),
                },
            ));
        }
        Ok(())
    }

    pub fn meta(&self) -> DocumentMeta {
        DocumentMeta {
            id: self.id,
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size_bytes: self.content.len() as u64,
            uploaded_at: self.uploaded_at,
        }
    }
}

/// The hex SHA-256 of a bearer token: tokens themselves are never stored.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(pub String);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to tell two apart in a debugger, too little to matter.
        write!(f, "TokenHash({}…)", self.0.get(..8).unwrap_or(""))
    }
}

/// Which of a session's two tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Short-lived (minutes), sent with every request.
    Access,
    /// Long-lived (days), exchanged once for a new pair.
    Refresh,
}

/// A session's current pair of tokens, by hash, with their expiries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTokens {
    pub access_hash: TokenHash,
    pub access_expires_at: Timestamp,
    pub refresh_hash: TokenHash,
    pub refresh_expires_at: Timestamp,
}

/// A login: one access token and one refresh token at a time; refreshing rotates both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub tokens: SessionTokens,
    pub created_at: Timestamp,
    pub rotated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        let email = Email::parse("  Ana.Owner@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ana.owner@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in ["", "plain", "@example.com", "a@", "a@b", "a@.com", "a@b..com", "a b@c.com", "a@b@c.com"]
        {
            let err = Email::parse(bad).expect_err(bad);
            assert_eq!(err.field, "email", "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(260));
        assert!(matches!(Email::parse(&long), Err(ValidationError { problem: Problem::TooLong { .. }, .. })));
    }

    #[test]
    fn email_deserialization_validates() {
        assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
        let email: Email = serde_json::from_str("\"A@B.CO\"").expect("valid");
        assert_eq!(email.as_str(), "a@b.co");
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let hash = PasswordHash("$argon2id$v=19$secret".into());
        assert!(!format!("{hash:?}").contains("secret"));
        let token = TokenHash("0123456789abcdef".into());
        assert!(!format!("{token:?}").contains("89abcdef"));
    }

    #[test]
    fn business_info_knows_what_is_missing() {
        let mut info = BusinessInfo { business_name: "Bakery".into(), ..BusinessInfo::default() };
        assert_eq!(info.missing_required(), ["owner_name", "industry", "description"]);
        info.owner_name = "Ana".into();
        info.industry = "food".into();
        info.description = "Sourdough".into();
        assert!(info.missing_required().is_empty());
        info.phone = "call me".into();
        assert_eq!(info.validate().expect_err("bad phone").field, "phone");
        info.phone = "+1 (555) 010-2000".into();
        info.validate().expect("valid phone");
        info.business_name = "x".repeat(NAME_MAX + 1);
        assert_eq!(info.validate().expect_err("long").problem, Problem::TooLong { max_chars: NAME_MAX });
    }

    #[test]
    fn documents_over_one_mebibyte_are_refused() {
        let doc = Document {
            id: DocumentId::new(),
            user_id: UserId::new(),
            filename: "menu.md".into(),
            content_type: "text/markdown".into(),
            content: "x".repeat(Document::MAX_BYTES + 1),
            uploaded_at: Timestamp::now(),
        };
        assert_eq!(doc.validate().expect_err("too big").field, "content");
    }
}
