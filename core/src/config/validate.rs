//! Checks on values that have the right type but still cannot work, so that they fail
//! at start with the key's name instead of at the first customer message.

use super::{AiProvider, Config, ConfigError, redact_url};

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

impl Config {
    /// Every check at once; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_store_url(&self.store.url)?;
        check_http_url("facebook.graph_api_base", &self.facebook.graph_api_base)?;
        check_graph_api_version(&self.facebook.graph_api_version)?;
        check_http_url("ai.base_url", &self.ai.base_url)?;
        if self.ai.model.trim().is_empty() {
            return Err(ConfigError::invalid("ai.model", "must not be empty (e.g. \"gpt-4o-mini\")"));
        }
        if self.ai.timeout_secs == 0 {
            return Err(ConfigError::invalid(
                "ai.timeout_secs",
                "must be at least 1 (seconds to wait for a reply)",
            ));
        }
        if self.ai.provider == AiProvider::OpenAi && self.ai.api_key.is_empty() {
            return Err(ConfigError::invalid(
                "ai.api_key",
                "must be set when ai.provider = \"openai\" (or use provider \"auto\" or \"rules\")",
            ));
        }
        check_log_level(&self.log.level)?;
        if !(1..=24 * 60).contains(&self.auth.access_token_minutes) {
            return Err(ConfigError::invalid(
                "auth.access_token_minutes",
                "must be between 1 and 1440 (a day)",
            ));
        }
        if !(1..=365).contains(&self.auth.refresh_token_days) {
            return Err(ConfigError::invalid("auth.refresh_token_days", "must be between 1 and 365"));
        }
        if self.pipeline.workers > 1024 {
            return Err(ConfigError::invalid(
                "pipeline.workers",
                "must be at most 1024 (0: the store's default)",
            ));
        }
        if !(2..=3600).contains(&self.pipeline.lease_secs) {
            return Err(ConfigError::invalid("pipeline.lease_secs", "must be between 2 and 3600 (seconds)"));
        }
        if self.pipeline.max_attempts == 0 {
            return Err(ConfigError::invalid("pipeline.max_attempts", "must be at least 1"));
        }
        if !(1..=200).contains(&self.pipeline.history_messages) {
            return Err(ConfigError::invalid("pipeline.history_messages", "must be between 1 and 200"));
        }
        if self.pipeline.inbox_retention_days > 3650 {
            return Err(ConfigError::invalid(
                "pipeline.inbox_retention_days",
                "must be between 1 and 3650 (ten years), or 0 to keep handled events for good",
            ));
        }
        if self.lead.qualify_at > 100 {
            return Err(ConfigError::invalid("lead.qualify_at", "must be between 0 and 100"));
        }
        Ok(())
    }
}

fn check_store_url(url: &str) -> Result<(), ConfigError> {
    const EXPECTED: &str = "expected sqlite://PATH, mongodb://HOST[:PORT]/… or \
                            mongodb+srv://HOST/…, or empty for the default file";
    if url.is_empty() {
        return Ok(());
    }
    let shown = redact_url(url);
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(ConfigError::invalid("store.url", format!("{shown:?} names no file ({EXPECTED})")));
        }
        return Ok(());
    }
    let hosts = url.strip_prefix("mongodb://").or_else(|| url.strip_prefix("mongodb+srv://"));
    match hosts {
        Some(rest) if !authority(rest).is_empty() => Ok(()),
        Some(_) => Err(ConfigError::invalid("store.url", format!("{shown:?} names no host ({EXPECTED})"))),
        None => {
            Err(ConfigError::invalid("store.url", format!("unsupported store URL {shown:?} ({EXPECTED})")))
        }
    }
}

/// The host part after the scheme, without the user info.
fn authority(rest: &str) -> &str {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    authority.rfind('@').map_or(authority, |at| &authority[at + 1..])
}

fn check_http_url(key: &str, url: &str) -> Result<(), ConfigError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !authority(rest).is_empty() && !url.contains(char::is_whitespace) => Ok(()),
        _ => Err(ConfigError::invalid(
            key,
            format!("{url:?} is not an http(s) URL (expected e.g. https://host or http://127.0.0.1:9000)"),
        )),
    }
}

fn check_graph_api_version(version: &str) -> Result<(), ConfigError> {
    let well_formed = version.strip_prefix('v').is_some_and(|number| {
        !number.is_empty()
            && number.starts_with(|c: char| c.is_ascii_digit())
            && number.chars().all(|c| c.is_ascii_digit() || c == '.')
    });
    if well_formed {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            "facebook.graph_api_version",
            format!("{version:?} is not a Graph API version (expected e.g. \"v21.0\")"),
        ))
    }
}

/// A level, or comma-separated `EnvFilter`-style directives (`closer=debug,info`). A
/// bare word that is not a level is refused even though `EnvFilter` would read it as a
/// target: it is far more often a misspelt level that would silence the log.
fn check_log_level(level: &str) -> Result<(), ConfigError> {
    let is_level = |word: &str| LEVELS.iter().any(|known| known.eq_ignore_ascii_case(word));
    let is_target = |word: &str| {
        !word.is_empty()
            && word.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
    };
    let valid = !level.trim().is_empty()
        && level.split(',').map(str::trim).all(|directive| match directive.rsplit_once('=') {
            Some((target, level)) => is_target(target) && is_level(level),
            None => is_level(directive),
        });
    if valid {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            "log.level",
            format!(
                "{level:?} is not a log level (expected one of {}, or directives \
                 such as \"closer_daemon=debug,info\")",
                LEVELS.join(", ")
            ),
        ))
    }
}
