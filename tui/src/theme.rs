//! The console's styles. Colour only helps: with `NO_COLOR` set every style keeps its
//! weight (bold, reversed, underlined) and loses its colour, and nothing is told by
//! colour alone.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set (to anything but an empty string).
    pub fn from_env() -> Self {
        Self { color: std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) }
    }

    pub fn plain() -> Self {
        Self { color: false }
    }

    fn paint(self, style: Style, color: Color) -> Style {
        if self.color { style.fg(color) } else { style }
    }

    pub fn normal(self) -> Style {
        Style::default()
    }

    pub fn dim(self) -> Style {
        self.paint(Style::default(), Color::DarkGray)
    }

    pub fn title(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// What needs the owner: a handoff, a failed message, an error.
    pub fn alert(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Red)
    }

    pub fn good(self) -> Style {
        self.paint(Style::default(), Color::Green)
    }

    pub fn warn(self) -> Style {
        self.paint(Style::default(), Color::Yellow)
    }

    pub fn customer(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Cyan)
    }

    pub fn ai(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Magenta)
    }

    pub fn owner(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Green)
    }

    pub fn key(self) -> Style {
        self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Yellow)
    }

    /// The field being edited.
    pub fn focused(self) -> Style {
        Style::default().add_modifier(Modifier::UNDERLINED)
    }

    /// Lead score colour: hot, warm, cold.
    pub fn score(self, score: u8) -> Style {
        match score {
            70.. => self.paint(Style::default().add_modifier(Modifier::BOLD), Color::Red),
            40.. => self.warn(),
            _ => self.dim(),
        }
    }
}
