//! Step 3: the knowledge base the AI answers from. Training it now can take seconds:
//! the screen counts them as they pass (from the clock it is drawn with), then shows
//! what was trained.

use closer_core::model::{KnowledgeStatus, Timestamp};
use ratatui::text::{Line, Span};
use serde::Deserialize;

use super::indented;
use crate::theme::Theme;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// closerd's `GET /onboarding/knowledge` and `POST /onboarding/train`.
#[derive(Debug, Clone, Deserialize)]
pub struct View {
    trained: bool,
    last_training: Option<KnowledgeStatus>,
    up_to_date: bool,
    retrain_pending: bool,
}

#[derive(Debug, Default)]
pub struct Knowledge {
    view: Option<View>,
    /// When training was asked for; `None` when none is on its way.
    training_since: Option<Timestamp>,
    /// The last training was the one asked for here: it is shown as the result.
    just_trained: bool,
    error: Option<String>,
}

impl Knowledge {
    pub fn is_training(&self) -> bool {
        self.training_since.is_some()
    }

    pub fn is_up_to_date(&self) -> bool {
        self.view.as_ref().is_some_and(|view| view.trained && view.up_to_date)
    }

    pub fn set(&mut self, view: View) {
        self.view = Some(view);
    }

    /// Starts a training at `now`; false when one is on its way already.
    pub fn train(&mut self, now: Timestamp) -> bool {
        if self.is_training() {
            return false;
        }
        self.training_since = Some(now);
        self.just_trained = false;
        self.error = None;
        true
    }

    pub fn trained(&mut self, view: View) {
        self.training_since = None;
        self.just_trained = true;
        self.view = Some(view);
    }

    /// A `knowledge.trained` event: trained again, by a change or another console.
    pub fn retrained(&mut self, status: KnowledgeStatus) {
        self.view = Some(View {
            trained: true,
            last_training: Some(status),
            up_to_date: true,
            retrain_pending: false,
        });
    }

    pub fn failed(&mut self, training: bool, why: &str) {
        if training {
            self.training_since = None;
        }
        self.error = Some(why.to_owned());
    }

    pub fn lines(&self, width: usize, theme: Theme, now: Timestamp) -> Vec<Line<'static>> {
        let mut lines = indented(
            "The AI answers customers from a knowledge base built from the business info, the \
             documents and the active campaigns. It trains again by itself a few seconds after they \
             change; t trains it now.",
            2,
            width,
            theme.dim(),
        );
        lines.push(Line::raw(""));
        if let Some(since) = self.training_since {
            let seconds = now.since(since).as_secs();
            let frame = SPINNER[usize::try_from(seconds).unwrap_or(0) % SPINNER.len()];
            lines.push(Line::raw(format!("  {frame} training the knowledge base … {seconds} s")));
            lines.push(Line::styled("    50 long documents take a few seconds", theme.dim()));
        }
        match &self.view {
            None if self.training_since.is_none() => lines.push(Line::styled("  loading …", theme.dim())),
            None => {}
            // Until the first training ends, there is nothing to say but the progress.
            Some(view) if self.training_since.is_some() && !view.trained => {}
            Some(view) => lines.extend(self.status(view, width, theme)),
        }
        if let Some(error) = &self.error {
            lines.push(Line::raw(""));
            lines.extend(indented(error, 2, width, theme.alert()));
        }
        lines
    }

    fn status(&self, view: &View, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        match (&view.last_training, view.trained) {
            (Some(last), true) => {
                let head = if self.just_trained { "✓ trained" } else { "trained" };
                let when = last.last_trained_at.as_datetime().format("%-d %b %H:%M UTC");
                lines.push(Line::from(vec![
                    Span::styled(format!("  {head}"), theme.good()),
                    Span::raw(format!(": version {} · {when}", last.version)),
                ]));
                let plural =
                    |n: u32, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
                let figures = format!(
                    "{} · {} · {} · in {}",
                    plural(last.documents, "document"),
                    plural(last.campaigns, "campaign"),
                    plural(last.passages, "passage"),
                    duration(last.duration_ms)
                );
                lines.extend(indented(&figures, 4, width, theme.normal()));
            }
            _ => lines.push(Line::styled("  ○ not trained yet: t trains it", theme.warn())),
        }
        let freshness = if view.up_to_date {
            Line::styled("  ● up to date with the business info, documents and campaigns", theme.good())
        } else if view.retrain_pending {
            Line::styled("  ○ the facts changed: it trains again in a few seconds", theme.warn())
        } else if view.trained {
            Line::styled("  ▲ the facts changed since: t trains it again", theme.warn())
        } else {
            return lines;
        };
        lines.push(freshness);
        lines
    }
}

/// "820 ms", "1.4 s".
fn duration(ms: u64) -> String {
    if ms < 1_000 { format!("{ms} ms") } else { format!("{}.{} s", ms / 1_000, ms % 1_000 / 100) }
}
