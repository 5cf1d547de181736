//! `closer onboard`: what the business tells the AI about itself, from flags or a
//! TOML/JSON file (`business.toml`); flags win over the file. On a terminal with
//! neither, it asks for each field, showing the stored value.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, read_structured, stdin_is_terminal};
use crate::error::{CliError, Result};
use closer_client::{Api, Body};

#[derive(Debug, clap::Args)]
pub struct Onboard {
    /// A TOML or JSON file with any of the fields below (`business_name`, `owner_name`, …).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    fields: Business,
}

/// The fields onboarding asks for; each flag left out keeps the stored value.
// The names are the API's (`business_name`), so that a file reads like the API.
#[allow(clippy::struct_field_names)]
#[derive(Debug, Default, clap::Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Business {
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    business_name: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_name: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    industry: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    website: Option<String>,
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
}

impl Business {
    /// `self` where set, else `base`.
    fn over(self, base: Self) -> Self {
        Self {
            business_name: self.business_name.or(base.business_name),
            owner_name: self.owner_name.or(base.owner_name),
            industry: self.industry.or(base.industry),
            description: self.description.or(base.description),
            website: self.website.or(base.website),
            phone: self.phone.or(base.phone),
        }
    }
}

pub async fn run(ctx: &Ctx, args: Onboard) -> Result<()> {
    let from_file = match &args.file {
        Some(path) => read_structured::<Business>(path)?,
        None => Business::default(),
    };
    let mut changes = serde_json::to_value(args.fields.over(from_file))
        .map_err(|error| CliError::Local(error.to_string()))?;
    let mut api = ctx.api()?;
    if changes.as_object().is_none_or(serde_json::Map::is_empty) {
        if args.file.is_some() || !stdin_is_terminal() {
            return Err(CliError::Usage(
                "nothing to change: give --file business.toml or flags such as --business-name".into(),
            ));
        }
        changes = ask(&mut api).await?;
        if changes.as_object().is_none_or(serde_json::Map::is_empty) {
            ctx.out.changed(&Value::Null, "nothing changed")?;
            return Ok(());
        }
    }
    let state = api.call(reqwest::Method::PATCH, "/onboarding", &[], Body::Json(changes.clone())).await?;
    let fields: Vec<&str> =
        changes.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    ctx.out.changed(&state, summary(&state, &fields))?;
    Ok(())
}

/// The fields, asked one by one on the terminal: Enter keeps the value shown, `-`
/// clears an optional one, and a required one that is empty is asked again.
async fn ask(api: &mut Api) -> Result<Value> {
    let state = api.get("/onboarding", &[]).await?;
    eprintln!(
        "Tell the AI about the business (Enter keeps the value in brackets, - clears an optional one)."
    );
    let mut changes = serde_json::Map::new();
    for (key, label, required) in FIELDS {
        let current = state["business"][key].as_str().unwrap_or_default().trim().to_owned();
        loop {
            let shown = if current.is_empty() {
                String::new()
            } else {
                format!(" [{}]", closer_client::clean(&current))
            };
            let optional = if required { "" } else { " (optional)" };
            let answer = prompt(&format!("{label}{optional}{shown}: "))?;
            let Some(answer) = answer else {
                return Err(CliError::Usage("onboarding stopped: nothing was saved".into()));
            };
            let value = match answer.as_str() {
                "" => current.clone(),
                "-" if !required => String::new(),
                _ => answer,
            };
            if required && value.is_empty() {
                eprintln!("  the AI needs this one");
                continue;
            }
            if value != current {
                changes.insert(key.to_owned(), Value::String(value));
            }
            break;
        }
    }
    Ok(Value::Object(changes))
}

/// Each field: its name in the API, its label, whether onboarding needs it.
const FIELDS: [(&str, &str, bool); 6] = [
    ("business_name", "Business name", true),
    ("owner_name", "Your name", true),
    ("industry", "Industry (bakery, salon, …)", true),
    ("description", "What the business does, in a sentence or two", true),
    ("website", "Website", false),
    ("phone", "Phone", false),
];

/// A line typed at `label`, trimmed; `None` at the end of input (Ctrl-D).
fn prompt(label: &str) -> Result<Option<String>> {
    use std::io::Write as _;
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{label}");
    let _ = stderr.flush();
    let mut line = String::new();
    let read = std::io::stdin()
        .read_line(&mut line)
        .map_err(|error| CliError::Usage(format!("cannot read from the terminal: {error}")))?;
    if read == 0 {
        eprintln!();
        return Ok(None);
    }
    Ok(Some(line.trim().to_owned()))
}

fn summary(state: &Value, changed: &[&str]) -> String {
    let saved = format!("saved {}", changed.join(", "));
    if state["onboarding_completed"].as_bool() == Some(true) {
        return format!("{saved}\nonboarding complete: the AI knows the business");
    }
    let missing: Vec<&str> =
        state["missing"].as_array().map(|m| m.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    format!("{saved}\nstill missing: {}", missing.join(", "))
}
