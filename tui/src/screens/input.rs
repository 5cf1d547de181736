//! A one-line text input: what the owner types, with the cursor at the end. Typed text
//! is never thrown away by a refusal; only sending it or `Esc` clears it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    Submit,
    Cancel,
    /// Not a key of the input: the screen may use it.
    Ignored,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    text: String,
    /// At most this many characters (0: no limit).
    max_chars: usize,
}

impl Input {
    pub fn with_limit(max_chars: usize) -> Self {
        Self { text: String::new(), max_chars }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
    }

    pub fn set(&mut self, text: &str) {
        self.text.clear();
        self.paste(text);
    }

    /// Pasted text goes in as typed; line breaks become spaces (one line).
    pub fn paste(&mut self, text: &str) {
        for c in text.chars() {
            self.push(if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c });
        }
    }

    fn push(&mut self, c: char) {
        if c.is_control() || (self.max_chars > 0 && self.text.chars().count() >= self.max_chars) {
            return;
        }
        self.text.push(c);
    }

    pub fn key(&mut self, key: KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => Edit::Submit,
            KeyCode::Esc => Edit::Cancel,
            KeyCode::Backspace => {
                self.text.pop();
                Edit::Changed
            }
            // Ctrl-U: the shell's "erase the line".
            KeyCode::Char('u') if ctrl => {
                self.text.clear();
                Edit::Changed
            }
            // Ctrl-W: erase the last word.
            KeyCode::Char('w') if ctrl => {
                let kept = self.text.trim_end().rfind(' ').map_or(0, |space| space + 1);
                self.text.truncate(kept);
                Edit::Changed
            }
            KeyCode::Char(c) if !ctrl => {
                self.push(c);
                Edit::Changed
            }
            _ => Edit::Ignored,
        }
    }

    /// The end of the text that fits in `width` columns with the cursor after it.
    pub fn visible(&self, width: u16) -> String {
        let room = usize::from(width).saturating_sub(1);
        let count = self.text.chars().count();
        self.text.chars().skip(count.saturating_sub(room)).collect()
    }
}

/// A search field that opens with `/`: while open, keys are its text; Enter keeps the
/// search and closes the field, Esc clears both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    input: Input,
    open: bool,
}

impl Search {
    pub fn open(&mut self) {
        self.open = true;
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    pub fn text(&self) -> &str {
        self.input.text()
    }

    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    pub fn clear(&mut self) {
        self.input.clear();
    }

    pub fn visible(&self, width: u16) -> String {
        self.input.visible(width)
    }

    pub fn paste(&mut self, text: &str) {
        self.input.paste(text);
    }

    /// A key while the field is open.
    pub fn key(&mut self, key: KeyEvent) {
        match self.input.key(key) {
            Edit::Submit => self.open = false,
            Edit::Cancel => {
                self.open = false;
                self.input.clear();
            }
            Edit::Changed | Edit::Ignored => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_editing_and_limits() {
        let mut input = Input::with_limit(5);
        for c in "hello world".chars() {
            input.key(key(KeyCode::Char(c)));
        }
        assert_eq!(input.text(), "hello", "the limit keeps the first characters");
        assert_eq!(input.key(key(KeyCode::Backspace)), Edit::Changed);
        assert_eq!(input.text(), "hell");
        input.paste("o\nx");
        assert_eq!(input.text(), "hello", "pasted text is one line, within the limit");
        assert_eq!(input.key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)), Edit::Changed);
        assert_eq!(input.text(), "");
        assert_eq!(input.key(key(KeyCode::Enter)), Edit::Submit);
        assert_eq!(input.key(key(KeyCode::Up)), Edit::Ignored);
    }

    #[test]
    fn the_visible_part_ends_at_the_cursor() {
        let mut input = Input::default();
        input.set("a long line of text");
        assert_eq!(input.visible(6), " text");
        assert_eq!(input.visible(40), "a long line of text");
    }
}
