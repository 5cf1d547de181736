//! `closer kb add|list|rm` and `closer train`: the knowledge base the AI answers from.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Ctx, segment};
use crate::error::Result;
use crate::output::{field, text};
use closer_client::{Body, Document};

#[derive(Debug, clap::Subcommand)]
pub enum Kb {
    /// Add text or Markdown documents (Markdown for .md and .markdown names).
    Add {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the documents.
    #[command(alias = "ls")]
    List,
    /// Remove documents by id.
    #[command(alias = "remove")]
    Rm {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
}

pub async fn run(ctx: &Ctx, command: Kb) -> Result<()> {
    match command {
        Kb::Add { files } => add(ctx, files).await,
        Kb::List => list(ctx).await,
        Kb::Rm { ids } => remove(ctx, ids).await,
    }
}

async fn add(ctx: &Ctx, files: Vec<PathBuf>) -> Result<()> {
    // Every file is read before the first is sent: a typo adds nothing.
    let documents = files.iter().map(|path| Document::read(path)).collect::<Result<Vec<_>, _>>()?;
    let mut api = ctx.api()?;
    let mut added = Vec::new();
    for document in documents {
        let meta = document.upload(&mut api).await?;
        if !ctx.out.json && !ctx.out.quiet {
            ctx.out.line(format!(
                "added {} ({} bytes, {}) as {}",
                text(&meta, "/filename"),
                field(&meta, "/size_bytes"),
                text(&meta, "/content_type"),
                text(&meta, "/id")
            ))?;
        }
        added.push(meta);
    }
    if ctx.out.json {
        ctx.out.json(&Value::Array(added))?;
    }
    Ok(())
}

async fn list(ctx: &Ctx) -> Result<()> {
    let list = ctx.api()?.get("/onboarding/documents", &[]).await?;
    if ctx.out.json {
        return Ok(ctx.out.json(&list)?);
    }
    let rows: Vec<Vec<String>> = list["documents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|d| {
            ["/id", "/filename", "/content_type", "/size_bytes", "/uploaded_at"].map(|p| field(d, p)).to_vec()
        })
        .collect();
    ctx.out.table(&["ID", "FILENAME", "TYPE", "BYTES", "UPLOADED"], &rows)?;
    Ok(())
}

async fn remove(ctx: &Ctx, ids: Vec<String>) -> Result<()> {
    let mut api = ctx.api()?;
    for id in &ids {
        api.call(Method::DELETE, &format!("/onboarding/documents/{}", segment(id)?), &[], Body::None).await?;
        if !ctx.out.json {
            ctx.out.changed(&Value::Null, format!("removed document {id}"))?;
        }
    }
    if ctx.out.json {
        ctx.out.json(&json!({ "removed": ids }))?;
    }
    Ok(())
}

pub async fn train(ctx: &Ctx) -> Result<()> {
    let mut api = ctx.api()?;
    let progress = std::io::stderr().is_terminal() && !ctx.out.quiet && !ctx.out.json;
    if progress {
        eprint!("training the knowledge base…");
    }
    let trained = api.post("/onboarding/train", Body::None).await;
    if progress {
        eprint!("\r\x1b[2K");
    }
    let view = trained?;
    let last = &view["last_training"];
    let message = format!(
        "trained: version {} ({} documents, {} campaigns, {} passages, in {} ms)",
        field(last, "/version"),
        field(last, "/documents"),
        field(last, "/campaigns"),
        field(last, "/passages"),
        field(last, "/duration_ms"),
    );
    ctx.out.changed(&view, message)?;
    Ok(())
}
