//! The business the AI speaks for: the onboarding wizard for a new business
//! (business info, documents by path, training with progress), and the same form to
//! edit it later.
//!
//! The wizard and the editor are one screen in three steps ([`info`], [`documents`],
//! [`knowledge`]); the wizard only adds the guidance and moves on by itself after
//! each step, until the first training after onboarding.

mod documents;
mod info;
mod knowledge;
mod steps;

use closer_core::events::Event as Live;
use closer_core::model::{BusinessInfo, DocumentId, DocumentMeta, Timestamp};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use serde::Deserialize;
use serde_json::Value;

use self::documents::Documents;
use self::info::InfoForm;
use self::knowledge::Knowledge;
use self::steps::Step;
pub(super) use super::indented;
use super::parse;
use super::{Keys, Screen};
use crate::app::Tab;
use crate::backend::{Call, CallBody, Method, Request};
use crate::theme::Theme;

const ONBOARDING: &str = "/onboarding";
const DOCUMENTS: &str = "/onboarding/documents";
const KNOWLEDGE: &str = "/onboarding/knowledge";
const TRAIN: &str = "/onboarding/train";

/// closerd's `GET` and `PATCH /onboarding`.
#[derive(Debug, Deserialize)]
struct OnboardingState {
    business: BusinessInfo,
    onboarding_completed: bool,
    /// The required fields still empty, by their API names.
    #[serde(default)]
    missing: Vec<String>,
}

/// closerd's `GET /onboarding/documents`.
#[derive(Debug, Deserialize)]
struct DocumentList {
    documents: Vec<DocumentMeta>,
    limit: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Business {
    /// closerd's `onboarding_completed`, once loaded.
    completed: Option<bool>,
    /// Onboarding was unfinished when loaded: the steps guide the owner through, until
    /// the first training once it is finished.
    wizard: bool,
    missing: Vec<String>,
    step: Step,
    info: InfoForm,
    documents: Documents,
    knowledge: Knowledge,
    /// A load that failed, with how to try again.
    error: Option<String>,
    /// What the last change did.
    notice: Option<String>,
}

impl Business {
    /// closerd said the business has not finished onboarding: the console opens the
    /// wizard once.
    pub fn needs_onboarding(&self) -> bool {
        self.completed == Some(false)
    }

    fn onboarding(&mut self, value: Value, saved: bool) -> Result<(), String> {
        let state: OnboardingState = parse(value)?;
        self.completed = Some(state.onboarding_completed);
        self.wizard |= !state.onboarding_completed;
        self.missing = state.missing;
        self.info.set(&state.business, saved);
        Ok(())
    }

    fn step_key(&mut self, key: KeyEvent, now: Timestamp) -> Vec<Request> {
        match self.step {
            Step::Info => match self.info.key(key) {
                info::Action::Save(changes) => {
                    vec![Request::Call(Call::patch(
                        Tab::Business,
                        "saving the business info",
                        ONBOARDING,
                        changes,
                    ))]
                }
                info::Action::Unchanged if self.wizard => {
                    self.step = Step::Documents;
                    Vec::new()
                }
                info::Action::Unchanged => {
                    self.notice = Some("nothing to save: every field is as saved".into());
                    Vec::new()
                }
                info::Action::Ignored => self.navigate(key),
                info::Action::None => Vec::new(),
            },
            Step::Documents => match self.documents.key(key) {
                documents::Action::Upload(path) => vec![Request::Call(Call::post(
                    Tab::Business,
                    "adding the document",
                    DOCUMENTS,
                    CallBody::Document(path),
                ))],
                documents::Action::Delete(id) => vec![Request::Call(Call::delete(
                    Tab::Business,
                    "deleting the document",
                    format!("{DOCUMENTS}/{id}"),
                ))],
                documents::Action::Ignored => self.navigate(key),
                documents::Action::None => Vec::new(),
            },
            Step::Train => match key.code {
                KeyCode::Char('t') | KeyCode::Enter if self.knowledge.train(now) => {
                    self.notice = None;
                    vec![Request::Call(Call::post(
                        Tab::Business,
                        "training the knowledge base",
                        TRAIN,
                        CallBody::None,
                    ))]
                }
                _ => self.navigate(key),
            },
        }
    }

    /// The keys no step took: moving between the steps.
    fn navigate(&mut self, key: KeyEvent) -> Vec<Request> {
        match key.code {
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => self.step = self.step.next(),
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => self.step = self.step.previous(),
            _ => return Vec::new(),
        }
        self.notice = None;
        Vec::new()
    }

    /// The facts changed: closerd schedules a retrain, which the knowledge step shows.
    fn reload_knowledge() -> Request {
        Request::Call(Call::get(Tab::Business, "loading the knowledge base", KNOWLEDGE))
    }

    fn answered(&mut self, call: &Call, value: Value) -> Result<Vec<Request>, String> {
        match (call.method, call.path.as_str()) {
            (Method::Get, ONBOARDING) => self.onboarding(value, false)?,
            (Method::Patch, ONBOARDING) => {
                self.onboarding(value, true)?;
                if self.wizard && self.step == Step::Info {
                    self.step = Step::Documents;
                    self.notice = Some("saved: next, the documents the AI reads (or Tab to train)".into());
                } else {
                    self.notice = Some("saved".into());
                }
                return Ok(vec![Self::reload_knowledge()]);
            }
            (Method::Get, DOCUMENTS) => {
                let list: DocumentList = parse(value)?;
                self.documents.set(list.documents, list.limit);
            }
            (Method::Post, DOCUMENTS) => {
                let document: DocumentMeta = parse(value)?;
                self.notice = Some(format!("added {}", closer_client::clean(&document.filename)));
                self.documents.added(document);
                return Ok(vec![Self::reload_knowledge()]);
            }
            (Method::Delete, path) => {
                let id = path.rsplit('/').next().and_then(|id| id.parse::<DocumentId>().ok());
                if let Some(id) = id {
                    self.documents.deleted(id);
                    self.notice = Some("deleted the document".into());
                }
                return Ok(vec![Self::reload_knowledge()]);
            }
            (Method::Get, KNOWLEDGE) => self.knowledge.set(parse(value)?),
            (Method::Post, TRAIN) => {
                self.knowledge.trained(parse(value)?);
                self.finish_wizard();
            }
            _ => {}
        }
        Ok(Vec::new())
    }

    /// The first training after onboarding ends the wizard.
    fn finish_wizard(&mut self) {
        if !self.wizard {
            return;
        }
        if self.completed == Some(true) {
            self.wizard = false;
            self.notice =
                Some("onboarding done: the AI knows the business. Connect a page in 4 Integrations.".into());
        } else {
            let missing: Vec<String> = self.missing.iter().map(|field| field.replace('_', " ")).collect();
            self.notice = Some(format!("trained, but the AI still needs: {} (step 1)", missing.join(", ")));
        }
    }
}

impl Screen for Business {
    fn load(&mut self) -> Vec<Request> {
        [
            (ONBOARDING, "loading the business info"),
            (DOCUMENTS, "loading the documents"),
            (KNOWLEDGE, "loading the knowledge base"),
        ]
        .into_iter()
        .map(|(path, doing)| Request::Call(Call::get(Tab::Business, doing, path)))
        .collect()
    }

    fn keys(&self) -> Keys {
        self.step.keys()
    }

    fn is_writing(&self) -> bool {
        self.info.is_writing() || self.documents.is_writing()
    }

    fn key(&mut self, key: KeyEvent, now: Timestamp) -> Vec<Request> {
        self.error = None;
        self.notice = None;
        self.step_key(key, now)
    }

    fn paste(&mut self, text: &str) {
        match self.step {
            Step::Info => self.info.paste(text),
            Step::Documents => self.documents.paste(text),
            Step::Train => {}
        }
    }

    fn called(&mut self, call: &Call, value: Value) -> Vec<Request> {
        self.answered(call, value).unwrap_or_else(|error| {
            self.error = Some(format!("{}: {error}", call.doing));
            Vec::new()
        })
    }

    fn failed(&mut self, call: &Call, error: &str) {
        let why = error.strip_prefix(call.doing).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(error);
        match (call.method, call.path.as_str()) {
            (Method::Patch, _) => self.info.refused(why),
            (Method::Post, DOCUMENTS) => self.documents.refused(true, why),
            (Method::Delete, _) => self.documents.refused(false, error),
            (Method::Post, _) => self.knowledge.failed(true, error),
            _ => self.error = Some(format!("{error} (Ctrl-R tries again)")),
        }
    }

    fn live(&mut self, event: &Live) -> Vec<Request> {
        if let Live::KnowledgeTrained { knowledge } = event {
            self.knowledge.retrained(knowledge.clone());
        }
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, now: Timestamp) {
        let title = if self.wizard {
            format!(" Set up your business · step {} of 3 ", self.step.number())
        } else {
            " Your business ".to_owned()
        };
        let block = Block::default().borders(Borders::ALL).title(Span::styled(title, theme.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [bar, _, body, message, hints] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(self.step_bar(theme), bar);
        let width = usize::from(body.width);
        match self.step {
            Step::Info => {
                let mut lines = Vec::new();
                if self.wizard {
                    lines.extend(indented(
                        "Welcome! Tell the AI about the business: it answers customers with what you \
                         write here.",
                        2,
                        width,
                        theme.normal(),
                    ));
                    lines.push(Line::raw(""));
                }
                lines.extend(self.info.lines(width, theme));
                frame.render_widget(Paragraph::new(lines), body);
            }
            Step::Documents => self.documents.draw(frame, body, theme),
            Step::Train => frame.render_widget(Paragraph::new(self.knowledge.lines(width, theme, now)), body),
        }
        let message_line = match (&self.error, &self.notice) {
            (Some(error), _) => Line::styled(error.clone(), theme.alert()),
            (None, Some(notice)) => Line::raw(notice.clone()),
            (None, None) => Line::raw(""),
        };
        frame.render_widget(message_line, message);
        frame.render_widget(Line::styled(self.hints(), theme.dim()), hints);
    }
}

/// `text` cut to `width` columns, with `…` where it was cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_training_elsewhere_shows_as_it_happens() {
        let mut business = Business::default();
        let status = closer_core::model::KnowledgeStatus {
            version: 4,
            last_trained_at: Timestamp::now(),
            fingerprint: "f".into(),
            documents: 1,
            campaigns: 0,
            passages: 9,
            duration_ms: 80,
        };
        business.live(&Live::KnowledgeTrained { knowledge: status });
        assert!(business.knowledge.is_up_to_date());
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("menu.md", 10), "menu.md");
        assert_eq!(fit("a-long-name.md", 6), "a-lon…");
        assert_eq!(fit("abc", 0), "");
    }
}
