//! The campaigns: a list with the last 7 days' figures; create and edit in a form with
//! the problems beside the fields; activate, pause, resume, complete, make default,
//! delete a draft; and a preview pane that shows what the AI would answer a customer.
//!
//! On a wide terminal the selected campaign (or the form, or the preview) is beside
//! the list; at 80 columns it takes the screen and Esc comes back.

mod answers;
mod detail;
mod fields;
mod form;
mod keys;
mod list;
mod money;
mod preview;

use std::collections::HashMap;

use closer_core::analytics::{CampaignLine, Period};
use closer_core::events::Event as Live;
use closer_core::model::{Campaign, CampaignId, Timestamp};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use serde_json::Value;

use self::form::{CREATING, Form, REREADING, SAVING};
use self::preview::{PREVIEWING, Preview};
use super::input::Search;
use super::transcript::wrap;
use super::{Keys, Screen};
use crate::app::Tab;
use crate::backend::{Call, CallBody, Request};
use crate::theme::Theme;

const LOADING: &str = "loading the campaigns";
const FIGURES: &str = "loading the campaigns' figures";
const DELETING: &str = "deleting the campaign";
const MAKING_DEFAULT: &str = "making the campaign the default";

/// Below this width the form, the preview or a campaign's details take the screen.
const SIDE_BY_SIDE_WIDTH: u16 = 100;

/// The status moves and the default mark: the key, the path's last segment, and what
/// is being done (which tells their answers apart).
const MOVES: [(char, &str, &str); 5] = [
    ('a', "activate", "activating the campaign"),
    ('p', "pause", "pausing the campaign"),
    ('r', "resume", "resuming the campaign"),
    ('c', "complete", "completing the campaign"),
    ('d', "default", MAKING_DEFAULT),
];

/// What is beside the list (or in its place on a narrow terminal).
#[derive(Debug, Default)]
enum Side {
    #[default]
    None,
    /// The selected campaign in full (beside the list on a wide terminal).
    Detail,
    Form(Box<Form>),
    Preview(Box<Preview>),
}

/// A question asked before something that cannot be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Confirm {
    Delete {
        id: CampaignId,
        name: String,
    },
    /// Esc in a form with something typed.
    Discard,
}

/// Where loading the list stands.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
enum Load {
    #[default]
    Loading,
    Loaded,
    /// Why it could not be loaded.
    Failed(String),
}

/// The last 7 days' figures, and where loading them stands.
#[derive(Debug, Default)]
struct Figures {
    /// A campaign without activity in the period has none.
    by_campaign: HashMap<CampaignId, CampaignLine>,
    /// The days they cover, as closerd counted them.
    period: Option<Period>,
    loaded: bool,
    /// A request is on its way: the live updates that come meanwhile ask for one more
    /// when it answers, not one each.
    in_flight: bool,
    stale: bool,
}

/// The outcome of the owner's last action, under the list.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Note {
    text: String,
    alert: bool,
}

impl Note {
    /// The most lines a note takes: a refusal explained, not a page.
    const LINES: usize = 3;

    /// Wrapped to `width`; a problem marked "! " (not by colour alone).
    fn lines(&self, width: u16, theme: Theme) -> Vec<Line<'static>> {
        let (text, style) = if self.alert {
            (format!("! {}", closer_client::clean(&self.text)), theme.alert())
        } else {
            (closer_client::clean(&self.text), theme.good())
        };
        let mut lines = wrap(&text, usize::from(width) + 2);
        lines.truncate(Self::LINES);
        lines.into_iter().map(|line| Line::styled(line, style)).collect()
    }
}

#[derive(Debug, Default)]
pub struct Campaigns {
    /// As closerd lists them, newest first; a new one goes on top.
    list: Vec<Campaign>,
    load: Load,
    figures: Figures,
    selected: Option<CampaignId>,
    /// The first row drawn.
    offset: usize,
    search: Search,
    side: Side,
    /// On a wide terminal with the preview open: the keys go to the list.
    list_focused: bool,
    confirm: Option<Confirm>,
    note: Option<Note>,
    /// The list and a pane fitted side by side at the last draw.
    wide: bool,
    /// Rows of the list at the last draw, for paging.
    page: usize,
}

impl Campaigns {
    fn selected_campaign(&self) -> Option<&Campaign> {
        self.selected.and_then(|id| self.list.iter().find(|c| c.id == id))
    }

    fn note(&mut self, text: impl Into<String>, alert: bool) {
        self.note = Some(Note { text: text.into(), alert });
    }

    /// The form or the preview has the keys (on a narrow terminal, whenever open).
    fn side_focused(&self) -> bool {
        match self.side {
            Side::Form(_) => true,
            Side::Preview(_) => !(self.wide && self.list_focused),
            Side::None | Side::Detail => false,
        }
    }
}

impl Screen for Campaigns {
    fn load(&mut self) -> Vec<Request> {
        self.load = Load::Loading;
        self.figures.stale = false;
        self.figures.in_flight = true;
        vec![Request::Call(Call::get(Tab::Campaigns, LOADING, "/campaigns")), Self::figures_call()]
    }

    fn keys(&self) -> Keys {
        // The form's keys are here too: while it is open every key is text, `?` included.
        vec![
            ("↑ ↓ j k", "move in the list (PgUp PgDn Home End)"),
            ("Enter", "the campaign's details (on a narrow screen)"),
            ("/", "search by name or product"),
            ("n  e", "new campaign, edit the selected one"),
            ("a p r c", "activate, pause, resume, complete"),
            ("d", "make it the default for chats that name no campaign"),
            ("x Delete", "delete a draft (asks first)"),
            ("v", "preview: write as a customer, see what the AI answers"),
            ("Tab  Esc", "between the list and the preview; back to the list"),
            ("form", "Tab ↓ next field · ⇧Tab ↑ back · Ctrl-S saves · Esc"),
            ("features", "separated by ;  such as: Baked to order; Ships in 2 days"),
            ("questions", "question | option, option; next question"),
            ("Ctrl-R", "reload"),
            ("1-6", "the other screens"),
            ("q", "quit"),
        ]
    }

    fn is_writing(&self) -> bool {
        self.search.is_open()
            || self.confirm.is_some()
            || match &self.side {
                // A form holds what was typed even while the owner looks at the list.
                Side::Form(_) => true,
                Side::Preview(preview) => preview.is_writing() && self.side_focused(),
                Side::None | Side::Detail => false,
            }
    }

    fn key(&mut self, key: KeyEvent, now: Timestamp) -> Vec<Request> {
        if let Some(confirm) = self.confirm.take() {
            return self.confirmed(confirm, key);
        }
        if self.search.is_open() {
            self.search.key(key);
            self.keep_selection_visible();
            return Vec::new();
        }
        if self.side_focused() {
            return match self.side {
                Side::Form(_) => self.key_form(key),
                _ => self.key_preview(key),
            };
        }
        self.key_list(key, now)
    }

    fn paste(&mut self, text: &str) {
        match &mut self.side {
            _ if self.search.is_open() => self.search.paste(text),
            Side::Form(form) => form.paste(text),
            Side::Preview(preview) => preview.paste(text),
            Side::None | Side::Detail => {}
        }
    }

    fn called(&mut self, call: &Call, value: Value) -> Vec<Request> {
        match call.doing {
            LOADING => self.listed(value),
            FIGURES => return self.figured(value),
            DELETING => {
                let deleted = self.list.iter().find(|c| call.path == format!("/campaigns/{}", c.id));
                if let Some((id, name)) = deleted.map(|c| (c.id, closer_client::clean(&c.name))) {
                    self.removed(id);
                    self.note(format!("deleted “{name}”"), false);
                }
            }
            PREVIEWING => {
                if let Side::Preview(preview) = &mut self.side
                    && let CallBody::Json(body) = &call.body
                    && body["campaign_id"] == serde_json::json!(preview.campaign_id())
                {
                    preview.answered(&value);
                }
            }
            doing => match serde_json::from_value::<Campaign>(value) {
                Ok(campaign) => return self.changed(doing, campaign),
                Err(error) => {
                    self.note(format!("{doing}: closerd's answer is not a campaign ({error})"), true);
                }
            },
        }
        Vec::new()
    }

    fn failed(&mut self, call: &Call, error: &str) {
        match call.doing {
            LOADING => {
                self.load = Load::Failed(error.to_owned());
            }
            FIGURES => {
                self.figures.in_flight = false;
                self.note(error, true);
            }
            CREATING | SAVING | REREADING => {
                if let Side::Form(form) = &mut self.side {
                    form.refused(error, call.doing);
                }
            }
            PREVIEWING => {
                if let Side::Preview(preview) = &mut self.side {
                    preview.failed(error);
                }
            }
            _ => self.note(detail::plain_fields(error), true),
        }
    }

    fn live(&mut self, event: &Live) -> Vec<Request> {
        match event {
            Live::CampaignUpdated { campaign } => self.upsert(campaign.clone()),
            Live::CampaignDeleted { campaign_id } => self.removed(*campaign_id),
            Live::AnalyticsUpdated { campaign_id, date, increment, .. } => {
                return self.counted(*campaign_id, *date, increment);
            }
            _ => {}
        }
        Vec::new()
    }

    fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, _now: Timestamp) {
        self.wide = area.width >= SIDE_BY_SIDE_WIDTH;
        if self.wide {
            // The form and the preview are typed into: they get the room.
            let list_share = if matches!(self.side, Side::Form(_) | Side::Preview(_)) { 40 } else { 55 };
            let [left, right] = Layout::horizontal([
                Constraint::Percentage(list_share),
                Constraint::Percentage(100 - list_share),
            ])
            .areas(area);
            let list_focused = !self.side_focused();
            self.draw_list(frame, left, theme, list_focused, false);
            self.draw_side(frame, right, theme);
        } else if matches!(self.side, Side::None) {
            self.draw_list(frame, area, theme, true, true);
        } else {
            self.draw_side(frame, area, theme);
        }
        if let Some(confirm) = &self.confirm {
            list::draw_confirm(frame, area, confirm, theme);
        }
    }
}

impl Campaigns {
    fn draw_side(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        let focused = self.side_focused();
        match &mut self.side {
            Side::Form(form) => form.draw(frame, area, theme),
            Side::Preview(preview) => preview.draw(frame, area, theme, focused),
            Side::None | Side::Detail => self.draw_detail(frame, area, theme),
        }
    }
}
