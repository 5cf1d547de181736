//! What closerd's answers and live updates do to the campaigns: the list and its
//! figures replaced, a campaign changed or gone, and the form or the preview told.

use chrono::NaiveDate;
use closer_core::analytics::CampaignLine;
use closer_core::model::{Campaign, CampaignId, Metrics};
use serde_json::Value;

use super::form::{CREATING, REREADING, SAVING};
use super::{Campaigns, FIGURES, LOADING, Load, MAKING_DEFAULT, MOVES, Side};
use crate::app::Tab;
use crate::backend::{Call, Request};

impl Campaigns {
    pub(super) fn figures_call() -> Request {
        // Without dates closerd answers for its last 7 days, today included, in UTC as
        // it counts days; the answer says which days they were.
        Request::Call(Call::get(Tab::Campaigns, FIGURES, "/analytics/campaigns"))
    }

    pub(super) fn load_figures(&mut self) -> Vec<Request> {
        if self.figures.in_flight {
            self.figures.stale = true;
            return Vec::new();
        }
        self.figures.in_flight = true;
        vec![Self::figures_call()]
    }

    /// Counters moved (a live update): added to the figures shown, as closerd counted
    /// them. A new day asks for the 7 days that end today; while figures are on their
    /// way, one more request follows them; figures that failed wait for Ctrl-R.
    pub(super) fn counted(
        &mut self,
        campaign_id: Option<CampaignId>,
        date: NaiveDate,
        increment: &Metrics,
    ) -> Vec<Request> {
        if self.figures.in_flight {
            self.figures.stale = true;
            return Vec::new();
        }
        let Some(period) = self.figures.period.filter(|_| self.figures.loaded) else { return Vec::new() };
        if date > period.to() {
            return self.load_figures();
        }
        if let Some(id) = campaign_id
            && period.contains(date)
        {
            let line = self.figures.by_campaign.entry(id).or_insert_with(|| CampaignLine {
                campaign_id: Some(id),
                metrics: Metrics::default(),
                conversion_rate: None,
            });
            line.metrics = line.metrics.plus(increment);
            line.conversion_rate = rate(line.metrics.conversions, line.metrics.conversations_started);
        }
        Vec::new()
    }

    /// A campaign that is new or changed (an answer, a live update): replaces ours.
    pub(super) fn upsert(&mut self, campaign: Campaign) {
        if campaign.is_default {
            // One default per platform: closerd took the mark from the one before.
            for other in self.list.iter_mut().filter(|c| c.platform == campaign.platform) {
                other.is_default = false;
            }
        }
        if let Side::Preview(preview) = &mut self.side
            && preview.campaign_id() == campaign.id
        {
            preview.renamed(&campaign.name);
        }
        if self.selected.is_none() {
            self.selected = Some(campaign.id);
        }
        match self.list.iter_mut().find(|known| known.id == campaign.id) {
            Some(known) => *known = campaign,
            None => self.list.insert(0, campaign),
        }
    }

    pub(super) fn removed(&mut self, id: CampaignId) {
        let Some(at) = self.list.iter().position(|c| c.id == id) else { return };
        self.list.remove(at);
        if self.selected == Some(id) {
            let next = self.list.get(at).or_else(|| self.list.last());
            self.selected = next.map(|c| c.id);
        }
        match &mut self.side {
            Side::Form(form) if form.campaign_id() == Some(id) => {
                form.note("this campaign was deleted meanwhile: Esc closes the form".into());
            }
            Side::Preview(preview) if preview.campaign_id() == id => self.side = Side::None,
            _ => {}
        }
    }

    pub(super) fn listed(&mut self, mut value: Value) {
        match serde_json::from_value::<Vec<Campaign>>(value["campaigns"].take()) {
            Ok(campaigns) => {
                self.list = campaigns;
                self.load = Load::Loaded;
                if self.selected.is_none_or(|id| !self.list.iter().any(|c| c.id == id)) {
                    self.selected = self.list.first().map(|c| c.id);
                }
            }
            Err(error) => {
                self.load = Load::Failed(format!("{LOADING}: closerd's answer is not a list ({error})"));
            }
        }
    }

    pub(super) fn figured(&mut self, mut value: Value) -> Vec<Request> {
        self.figures.in_flight = false;
        let lines = serde_json::from_value::<Vec<CampaignLine>>(value["campaigns"].take());
        match lines {
            Ok(lines) => {
                self.figures.by_campaign =
                    lines.into_iter().filter_map(|line| Some((line.campaign_id?, line))).collect();
                self.figures.period = serde_json::from_value(value["period"].take()).ok();
                self.figures.loaded = true;
            }
            Err(error) => {
                self.note(format!("{FIGURES}: closerd's answer is not the figures ({error})"), true);
            }
        }
        if std::mem::take(&mut self.figures.stale) { self.load_figures() } else { Vec::new() }
    }

    /// A campaign came back from a create, an edit, a re-read or a move.
    pub(super) fn changed(&mut self, doing: &str, campaign: Campaign) -> Vec<Request> {
        let id = campaign.id;
        let name = closer_client::clean(&campaign.name);
        // What the open form is saving: `Some(None)` a new campaign.
        let saving = match &self.side {
            Side::Form(form) if form.is_saving() => Some(form.campaign_id()),
            _ => None,
        };
        let mut requests = Vec::new();
        match doing {
            CREATING if saving == Some(None) => {
                self.side = Side::None;
                self.selected = Some(id);
                let text = format!(
                    "created the draft “{name}”: a puts it live once it has a product, a price and a greeting"
                );
                self.note(text, false);
            }
            SAVING if saving == Some(Some(id)) => {
                self.side = Side::None;
                self.note(format!("saved “{name}”"), false);
            }
            REREADING => {
                if let Side::Form(form) = &mut self.side
                    && form.campaign_id() == Some(id)
                {
                    requests.extend(form.save_over(&campaign).map(Request::Call));
                }
            }
            MAKING_DEFAULT => {
                self.note(format!("“{name}” is now the default on {}", campaign.platform.as_str()), false);
            }
            doing if MOVES.iter().any(|(_, _, move_doing)| *move_doing == doing) => {
                self.note(format!("“{name}” is now {}", campaign.status), false);
            }
            _ => {}
        }
        self.upsert(campaign);
        requests
    }
}

/// Sales over chats started, as closerd computes `conversion_rate`; `None` without chats.
// Counts of chats stay far below 2^52, where an f64 would start rounding them.
#[allow(clippy::cast_precision_loss)]
fn rate(conversions: i64, started: i64) -> Option<f64> {
    (started != 0).then(|| conversions as f64 / started as f64)
}
