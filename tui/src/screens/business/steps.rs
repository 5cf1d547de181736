//! The three steps of the business screen, in the wizard and after it: their names,
//! the bar that shows where the owner is (and what is done), and each one's keys.

use ratatui::text::{Line, Span};

use super::super::Keys;
use super::Business;
use crate::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Step {
    #[default]
    Info,
    Documents,
    Train,
}

impl Step {
    pub(super) const ALL: [Self; 3] = [Self::Info, Self::Documents, Self::Train];

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Info => "Business info",
            Self::Documents => "Documents",
            Self::Train => "Train",
        }
    }

    pub(super) fn number(self) -> usize {
        Self::ALL.iter().position(|step| *step == self).unwrap_or(0) + 1
    }

    pub(super) fn next(self) -> Self {
        Self::ALL.get(self.number()).copied().unwrap_or(self)
    }

    pub(super) fn previous(self) -> Self {
        Self::ALL.get(self.number().saturating_sub(2)).copied().unwrap_or(self)
    }

    /// The keys of this step, then those of every step.
    pub(super) fn keys(self) -> Keys {
        let mut keys = match self {
            Self::Info => vec![
                ("↑ ↓ j k", "choose a field"),
                ("Enter e", "edit it; Enter goes on to the next, the last saves"),
                ("Tab S-Tab", "while editing: next / previous field"),
                ("Esc", "stop editing (what was typed is kept)"),
                ("s", "save the changes"),
                ("u", "undo the changes not saved"),
            ],
            Self::Documents => vec![
                ("↑ ↓ j k", "choose a document"),
                ("a Enter", "add a document by its path (text or Markdown)"),
                ("Esc", "close the path (it is kept)"),
                ("d Del", "delete the document (asks first)"),
            ],
            Self::Train => vec![("t Enter", "train the knowledge base now")],
        };
        keys.extend([
            ("Tab → l", "next step"),
            ("S-Tab ← h", "previous step"),
            ("Ctrl-R", "load again"),
            ("1-6", "the other screens"),
            ("q", "quit"),
        ]);
        keys
    }
}

impl Business {
    pub(super) fn step_bar(&self, theme: Theme) -> Line<'static> {
        let mut spans = Vec::new();
        for step in Step::ALL {
            let done = match step {
                Step::Info => self.completed == Some(true) && self.missing.is_empty(),
                Step::Documents => self.documents.count() > 0,
                Step::Train => self.knowledge.is_up_to_date(),
            };
            let mark = if done { " ✓" } else { "" };
            let text = format!(" {} {}{mark} ", step.number(), step.name());
            spans.push(Span::styled(text, if step == self.step { theme.selected() } else { theme.normal() }));
            spans.push(Span::raw(" "));
        }
        Line::from(spans)
    }

    pub(super) fn hints(&self) -> &'static str {
        match self.step {
            Step::Info if self.info.is_writing() => {
                "Enter next field (the last saves) · Tab ↑↓ fields · Esc stop"
            }
            Step::Info => "↑↓ field · Enter edit · s save · u undo · Tab next step · ? keys",
            Step::Documents if self.documents.is_writing() => "Enter adds it · Esc closes (the path is kept)",
            Step::Documents => "↑↓ choose · a add by path · d delete · Tab next step · ? keys",
            Step::Train => "t train now · Shift-Tab back · ? keys",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_forward_and_back_and_stop_at_the_ends() {
        assert_eq!(Step::Info.next(), Step::Documents);
        assert_eq!(Step::Train.next(), Step::Train);
        assert_eq!(Step::Train.previous(), Step::Documents);
        assert_eq!(Step::Info.previous(), Step::Info);
    }
}
