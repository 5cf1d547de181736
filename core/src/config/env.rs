//! `CLOSER__SECTION__KEY` environment variables, applied over the file.
//!
//! The variable is looked up in the configuration serialized as a TOML table, and its
//! text is read according to the type the key already has there. That way every key is
//! reachable from the environment without a list to keep in step with the structs, and
//! an unknown variable is an error just like an unknown key in the file.

use toml::{Table, Value};

use super::{Config, ConfigError, ENV_PREFIX};

/// The configuration with the variables applied, and which variable set which dotted
/// key (so that a later validation error can name the variable).
pub(super) fn apply<I, K, V>(
    mut config: Config,
    env: I,
) -> Result<(Config, Vec<(String, String)>), ConfigError>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    let mut overrides: Vec<(String, String)> = env
        .into_iter()
        .map(|(var, value)| (var.into(), value.into()))
        .filter(|(var, _)| var.starts_with(ENV_PREFIX))
        .collect();
    if overrides.is_empty() {
        return Ok((config, Vec::new()));
    }
    // The process environment has no order; sorting makes "the first bad variable"
    // the same on every run.
    overrides.sort();

    let mut table = Table::try_from(&config).map_err(|e| ConfigError::Serialize(e.to_string()))?;
    let mut applied = Vec::with_capacity(overrides.len());
    for (var, raw) in overrides {
        let (section, key) = split(&var).ok_or_else(|| unknown(&var, &table))?;
        let Some(current) = table.get(&section).and_then(Value::as_table).and_then(|keys| keys.get(&key))
        else {
            return Err(unknown(&var, &table));
        };
        let value = parse_like(current, &raw).map_err(|message| ConfigError::Env {
            var: var.clone(),
            message: format!("{section}.{key}: {message}"),
        })?;
        if let Some(keys) = table.get_mut(&section).and_then(Value::as_table_mut) {
            keys.insert(key.clone(), value);
        }
        // Checked one variable at a time so that a value the type rejects (an address,
        // an enum, a negative count) is blamed on the variable that set it.
        config = table.clone().try_into().map_err(|e: toml::de::Error| ConfigError::Env {
            var: var.clone(),
            message: format!("{section}.{key}: {}", super::file::humanize(e.message())),
        })?;
        applied.push((var, format!("{section}.{key}")));
    }
    Ok((config, applied))
}

/// `CLOSER__AI__TIMEOUT_SECS` → (`ai`, `timeout_secs`).
fn split(var: &str) -> Option<(String, String)> {
    let rest = var.strip_prefix(ENV_PREFIX)?;
    let (section, key) = rest.split_once("__")?;
    if section.is_empty() || key.is_empty() || key.contains("__") {
        return None;
    }
    Some((section.to_ascii_lowercase(), key.to_ascii_lowercase()))
}

fn unknown(var: &str, table: &Table) -> ConfigError {
    let mut known = Vec::new();
    for (section, keys) in table {
        if let Some(keys) = keys.as_table() {
            for key in keys.keys() {
                known.push(format!(
                    "{ENV_PREFIX}{}__{}",
                    section.to_ascii_uppercase(),
                    key.to_ascii_uppercase()
                ));
            }
        }
    }
    ConfigError::Env {
        var: var.to_owned(),
        message: format!("no such setting (expected {ENV_PREFIX}SECTION__KEY, one of: {})", known.join(", ")),
    }
}

/// Reads `raw` as a value of the same TOML type as `current`.
fn parse_like(current: &Value, raw: &str) -> Result<Value, String> {
    let trimmed = raw.trim();
    match current {
        Value::String(_) => Ok(Value::String(raw.to_owned())),
        Value::Integer(_) => {
            trimmed.parse().map(Value::Integer).map_err(|_| format!("expected a whole number, got {raw:?}"))
        }
        Value::Boolean(_) => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Boolean(true)),
            "false" => Ok(Value::Boolean(false)),
            _ => Err(format!("expected true or false, got {raw:?}")),
        },
        Value::Float(_) => {
            trimmed.parse().map(Value::Float).map_err(|_| format!("expected a number, got {raw:?}"))
        }
        other => Err(format!(
            "a {} setting cannot be set from the environment; use the config file",
            other.type_str()
        )),
    }
}
