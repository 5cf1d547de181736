//! Step 1: what the business tells the AI about itself, as a form of six fields.
//! Each field is checked as closerd checks it before anything is sent, a refusal comes
//! back beside the field it names, and what was typed is kept until it is saved or
//! undone (`u`).

use closer_core::model::BusinessInfo;
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};
use serde_json::{Map, Value};

use super::super::input::{Edit, Input};
use super::{fit, indented};
use crate::theme::Theme;

/// A field: its name in the API, its label, whether onboarding needs it, closerd's
/// limit.
#[derive(Debug, Clone, Copy)]
struct Field {
    key: &'static str,
    label: &'static str,
    required: bool,
    max_chars: usize,
}

// closerd's limits (`BusinessInfo::validate`).
const FIELDS: [Field; 6] = [
    Field { key: "business_name", label: "Business name", required: true, max_chars: 200 },
    Field { key: "owner_name", label: "Your name", required: true, max_chars: 200 },
    Field { key: "industry", label: "Industry", required: true, max_chars: 200 },
    Field { key: "description", label: "What it does", required: true, max_chars: 5_000 },
    Field { key: "website", label: "Website", required: false, max_chars: 2_000 },
    Field { key: "phone", label: "Phone", required: false, max_chars: 40 },
];
/// The labels' column, so that the values line up.
const LABEL: usize = 17;

/// What a key asks of the screen.
#[derive(Debug, PartialEq)]
pub enum Action {
    None,
    /// Send these changes (only the fields that changed, trimmed).
    Save(Value),
    /// Saving was asked for, but every field is as stored.
    Unchanged,
    /// Not a key of the form.
    Ignored,
}

#[derive(Debug, Default)]
pub struct InfoForm {
    /// The values as closerd has them: what "changed" and `u` compare with.
    saved: [String; 6],
    inputs: [Input; 6],
    errors: [Option<String>; 6],
    focus: usize,
    writing: bool,
    /// The changes are on their way: saving again waits for the answer.
    saving: bool,
    /// A refusal that names no field.
    error: Option<String>,
}

impl InfoForm {
    pub fn is_writing(&self) -> bool {
        self.writing
    }

    /// Something typed differs from what closerd has.
    pub fn has_changes(&self) -> bool {
        self.inputs.iter().zip(&self.saved).any(|(input, saved)| input.text() != saved)
    }

    /// closerd's values. A field being edited keeps what was typed, unless `saved` says
    /// these are the values just saved from it.
    pub fn set(&mut self, info: &BusinessInfo, saved: bool) {
        let values = values(info);
        for ((input, old), new) in self.inputs.iter_mut().zip(&self.saved).zip(&values) {
            if saved || input.text() == old {
                input.set(new);
            }
        }
        self.saved = values;
        if saved {
            self.saving = false;
            self.writing = false;
            self.errors = Default::default();
            self.error = None;
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Action {
        if self.writing {
            return self.write(key);
        }
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.focus = self.focus.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.focus = (self.focus + 1).min(FIELDS.len() - 1),
            KeyCode::Enter | KeyCode::Char('e' | 'i') => self.writing = true,
            KeyCode::Char('s') => return self.save(),
            KeyCode::Char('u') => {
                for (input, saved) in self.inputs.iter_mut().zip(&self.saved) {
                    input.set(saved);
                }
                self.errors = Default::default();
                self.error = None;
            }
            _ => return Action::Ignored,
        }
        Action::None
    }

    fn write(&mut self, key: KeyEvent) -> Action {
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % FIELDS.len(),
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len(),
            _ => match self.inputs[self.focus].key(key) {
                Edit::Submit if self.focus + 1 < FIELDS.len() => self.focus += 1,
                Edit::Submit => return self.save(),
                // What was typed stays, to save (`s`) or undo (`u`) later.
                Edit::Cancel => self.writing = false,
                Edit::Changed => self.errors[self.focus] = None,
                Edit::Ignored => {}
            },
        }
        Action::None
    }

    pub fn paste(&mut self, text: &str) {
        self.writing = true;
        self.inputs[self.focus].paste(text);
    }

    /// Checks every field; the changed ones go to closerd if all are fine.
    fn save(&mut self) -> Action {
        if self.saving {
            return Action::None;
        }
        self.error = None;
        for (at, field) in FIELDS.iter().enumerate() {
            self.errors[at] = problem(field, self.inputs[at].text().trim());
        }
        if let Some(first) = self.errors.iter().position(Option::is_some) {
            self.focus = first;
            self.writing = true;
            return Action::None;
        }
        let mut changes = Map::new();
        for ((field, input), saved) in FIELDS.iter().zip(&self.inputs).zip(&self.saved) {
            let value = input.text().trim();
            if value != saved {
                changes.insert(field.key.to_owned(), Value::String(value.to_owned()));
            }
        }
        if changes.is_empty() {
            self.writing = false;
            return Action::Unchanged;
        }
        self.saving = true;
        Action::Save(Value::Object(changes))
    }

    /// closerd refused the changes: beside the field its message names (`phone is not
    /// valid: …`), else under the form. What was typed stays.
    pub fn refused(&mut self, why: &str) {
        self.saving = false;
        let named =
            FIELDS.iter().position(|field| why.strip_prefix(field.key).is_some_and(|r| r.starts_with(' ')));
        match named {
            Some(at) => {
                let problem = why[FIELDS[at].key.len()..].trim_start();
                self.errors[at] = Some(problem.to_owned());
                self.focus = at;
                self.writing = true;
            }
            None => self.error = Some(why.to_owned()),
        }
    }

    pub fn lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let room = width.saturating_sub(LABEL + 5);
        let mut lines = Vec::new();
        for (at, field) in FIELDS.iter().enumerate() {
            let focused = at == self.focus;
            let marker = if focused { "› " } else { "  " };
            let star = if field.required { " *" } else { "" };
            let label = format!("{}{star}", field.label);
            let label_style = if focused { theme.title() } else { theme.normal() };
            let input = &self.inputs[at];
            let value = if focused && self.writing {
                Span::styled(input.visible(u16::try_from(room).unwrap_or(u16::MAX)), theme.focused())
            } else if input.is_empty() && field.required {
                Span::styled("(needed)", theme.warn())
            } else if input.is_empty() {
                Span::styled("(optional)", theme.dim())
            } else {
                Span::raw(fit(&closer_client::clean(input.text()), room))
            };
            lines.push(Line::from(vec![
                Span::raw(format!("  {marker}")),
                Span::styled(format!("{label:<LABEL$}"), label_style),
                value,
            ]));
            if let Some(error) = &self.errors[at] {
                lines.extend(indented(&format!("↳ {error}"), LABEL + 4, width, theme.alert()));
            }
        }
        lines.push(Line::raw(""));
        if let Some(error) = &self.error {
            lines.extend(indented(error, 2, width, theme.alert()));
        }
        let state = if self.saving {
            "saving …"
        } else if self.has_changes() && !self.writing {
            "not saved yet: s saves, u undoes, Enter edits"
        } else {
            "* the AI needs these to speak for the business"
        };
        lines.push(Line::styled(format!("  {state}"), theme.dim()));
        lines
    }
}

fn values(info: &BusinessInfo) -> [String; 6] {
    [&info.business_name, &info.owner_name, &info.industry, &info.description, &info.website, &info.phone]
        .map(Clone::clone)
}

fn problem(field: &Field, value: &str) -> Option<String> {
    let count = value.chars().count();
    if field.required && value.is_empty() {
        Some("the AI needs this one".into())
    } else if count > field.max_chars {
        Some(format!("too long: at most {} characters (this has {count})", field.max_chars))
    } else if field.key == "phone" && !value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) {
        Some("a phone number is digits, spaces and + - ( ) . only".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;
    use serde_json::json;

    fn press(form: &mut InfoForm, code: KeyCode) -> Action {
        form.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(form: &mut InfoForm, text: &str) {
        for c in text.chars() {
            press(form, KeyCode::Char(c));
        }
    }

    fn ana() -> BusinessInfo {
        BusinessInfo {
            business_name: "Ana's Bakery".into(),
            owner_name: "Ana".into(),
            industry: "bakery".into(),
            description: "Bread and cakes in Porto".into(),
            ..BusinessInfo::default()
        }
    }

    #[test]
    fn only_the_changed_fields_are_sent_trimmed() {
        let mut form = InfoForm::default();
        form.set(&ana(), false);
        assert_eq!(press(&mut form, KeyCode::Char('s')), Action::Unchanged);
        for _ in 0..5 {
            press(&mut form, KeyCode::Down);
        }
        press(&mut form, KeyCode::Enter);
        typed(&mut form, " +351 222 000 111 ");
        assert_eq!(press(&mut form, KeyCode::Enter), Action::Save(json!({ "phone": "+351 222 000 111" })));
        assert!(form.saving);
        assert_eq!(press(&mut form, KeyCode::Enter), Action::None, "one save at a time");
    }

    #[test]
    fn problems_are_found_before_sending_and_typing_is_kept() {
        let mut form = InfoForm::default();
        form.set(&ana(), false);
        press(&mut form, KeyCode::Enter);
        form.key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        press(&mut form, KeyCode::Tab);
        typed(&mut form, "x");
        for _ in 0..4 {
            press(&mut form, KeyCode::Tab);
        }
        typed(&mut form, "call me");
        assert_eq!(press(&mut form, KeyCode::Enter), Action::None);
        assert_eq!(form.errors[0].as_deref(), Some("the AI needs this one"));
        assert!(form.errors[5].as_deref().is_some_and(|e| e.contains("digits")));
        assert_eq!(form.focus, 0, "the first problem has the focus");
        assert_eq!(form.inputs[1].text(), "Anax");
        assert_eq!(form.inputs[5].text(), "call me");
        let long = "d".repeat(5_001);
        assert!(problem(&FIELDS[3], &long).is_some_and(|e| e.contains("at most 5000")));
    }

    #[test]
    fn a_refusal_goes_beside_the_field_it_names() {
        let mut form = InfoForm::default();
        form.refused("website must be at most 2000 characters");
        assert_eq!(form.errors[4].as_deref(), Some("must be at most 2000 characters"));
        assert_eq!((form.focus, form.writing), (4, true));
        form.refused("the store (store) is not reachable");
        assert!(form.error.is_some());
    }

    #[test]
    fn a_reload_keeps_what_is_being_typed() {
        let mut form = InfoForm::default();
        form.set(&ana(), false);
        press(&mut form, KeyCode::Enter);
        typed(&mut form, " & Cafe");
        let mut newer = ana();
        newer.business_name = "Ana's".into();
        newer.owner_name = "Ana Lopes".into();
        form.set(&newer, false);
        assert_eq!(form.inputs[0].text(), "Ana's Bakery & Cafe");
        assert_eq!(form.inputs[1].text(), "Ana Lopes");
    }
}
