//! `closer onboard`: what the business tells the AI about itself, from flags or a
//! TOML/JSON file (`business.toml`); flags win over the file.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, read_structured};
use crate::api::Body;
use crate::error::{CliError, Result};

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
    let changes = serde_json::to_value(args.fields.over(from_file))
        .map_err(|error| CliError::Local(error.to_string()))?;
    if changes.as_object().is_none_or(serde_json::Map::is_empty) {
        return Err(CliError::Usage(
            "nothing to change: give --file business.toml or flags such as --business-name".into(),
        ));
    }
    let mut api = ctx.api()?;
    let state = api.call(reqwest::Method::PATCH, "/onboarding", &[], Body::Json(changes.clone())).await?;
    let fields: Vec<&str> =
        changes.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    ctx.out.changed(&state, summary(&state, &fields))?;
    Ok(())
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
