//! What the owner's keys do on the campaigns screen: in the list, the form, the
//! preview, and the questions asked before deleting or dropping what was typed.

use closer_core::model::{Campaign, CampaignStatus, Timestamp};
use crossterm::event::{KeyCode, KeyEvent};

use super::form::{Form, FormAction};
use super::preview::{Preview, PreviewAction};
use super::{Campaigns, Confirm, DELETING, MOVES, Side};
use crate::app::Tab;
use crate::backend::{Call, CallBody, Request};
use crate::screens::list_step;

impl Campaigns {
    pub(super) fn key_form(&mut self, key: KeyEvent) -> Vec<Request> {
        let Side::Form(form) = &mut self.side else { return Vec::new() };
        match form.key(key) {
            FormAction::Save(call) | FormAction::Reread(call) => return vec![Request::Call(call)],
            FormAction::Unchanged => {
                self.side = Side::None;
                self.note("nothing changed", false);
            }
            FormAction::Cancel if form.has_changes() => self.confirm = Some(Confirm::Discard),
            FormAction::Cancel => self.side = Side::None,
            FormAction::Handled => {}
        }
        Vec::new()
    }

    pub(super) fn key_preview(&mut self, key: KeyEvent) -> Vec<Request> {
        let Side::Preview(preview) = &mut self.side else { return Vec::new() };
        match preview.key(key) {
            PreviewAction::Ask(call) => return vec![Request::Call(call)],
            PreviewAction::Close => self.side = Side::None,
            PreviewAction::Ignored if key.code == KeyCode::Tab && self.wide => self.list_focused = true,
            PreviewAction::Handled | PreviewAction::Ignored => {}
        }
        Vec::new()
    }

    pub(super) fn confirmed(&mut self, confirm: Confirm, key: KeyEvent) -> Vec<Request> {
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
        match confirm {
            Confirm::Delete { id, name } if yes => {
                self.note(format!("deleting “{name}” …"), false);
                let call = Call::delete(Tab::Campaigns, DELETING, format!("/campaigns/{id}"));
                return vec![Request::Call(call)];
            }
            Confirm::Discard if yes => self.side = Side::None,
            Confirm::Delete { .. } | Confirm::Discard => {}
        }
        Vec::new()
    }

    pub(super) fn key_list(&mut self, key: KeyEvent, now: Timestamp) -> Vec<Request> {
        if let Some(step) = list_step(key.code, self.page) {
            self.move_selection(step);
            return Vec::new();
        }
        match key.code {
            KeyCode::Enter if self.selected_campaign().is_some() && !self.wide => self.side = Side::Detail,
            KeyCode::Tab if matches!(self.side, Side::Preview(_)) => self.list_focused = false,
            KeyCode::Esc if !matches!(self.side, Side::None) => self.side = Side::None,
            KeyCode::Esc => self.search.clear(),
            KeyCode::Char('/') => self.search.open(),
            KeyCode::Char('n') => self.open_form(None, now),
            KeyCode::Char('e') => {
                if let Some(campaign) = self.selected_campaign().cloned() {
                    self.open_form(Some(&campaign), now);
                }
            }
            KeyCode::Char('v') => {
                if let Some(campaign) = self.selected_campaign() {
                    self.side = Side::Preview(Box::new(Preview::new(campaign)));
                    self.list_focused = false;
                }
            }
            KeyCode::Char('x') | KeyCode::Delete => self.ask_to_delete(),
            KeyCode::Char(c) => return self.make_move(c),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn open_form(&mut self, campaign: Option<&Campaign>, now: Timestamp) {
        let form = if let Some(campaign) = campaign {
            Form::edit(campaign, now)
        } else {
            // The currency the business already sells in, as a start.
            let currency = self.list.iter().find_map(|c| c.product.price.as_ref());
            Form::new(currency.map_or("", |price| price.currency.as_str()), now)
        };
        self.side = Side::Form(Box::new(form));
        self.note = None;
    }

    pub(super) fn ask_to_delete(&mut self) {
        let Some(campaign) = self.selected_campaign() else { return };
        let name = closer_client::clean(&campaign.name);
        if campaign.status == CampaignStatus::Draft {
            self.confirm = Some(Confirm::Delete { id: campaign.id, name });
        } else {
            let text = format!(
                "only a draft can be deleted: “{name}” is {}, and its chats and figures refer to it \
                 (c completes it)",
                campaign.status
            );
            self.note(text, true);
        }
    }

    /// A status move or the default mark, for closerd to decide: it knows the
    /// campaign as it is now, and says why a move is not allowed.
    pub(super) fn make_move(&mut self, key: char) -> Vec<Request> {
        let Some((_, verb, doing)) = MOVES.iter().find(|(move_key, _, _)| *move_key == key) else {
            return Vec::new();
        };
        let Some(campaign) = self.selected_campaign() else { return Vec::new() };
        let path = format!("/campaigns/{}/{verb}", campaign.id);
        self.note(format!("{doing} …"), false);
        vec![Request::Call(Call::post(Tab::Campaigns, doing, path, CallBody::None))]
    }
}
