//! The terminal in the console's hands: raw mode, the alternate screen, mouse and
//! bracketed paste. It is given back as it was found however the console ends: by
//! [`Drop`] on a normal or early return, and by the panic hook, which restores before
//! the panic is reported so that the report is readable.

use std::io::{self, Stdout};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Backend = CrosstermBackend<Stdout>;

/// The terminal, restored when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
}

impl std::fmt::Debug for TerminalGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TerminalGuard")
    }
}

impl TerminalGuard {
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        // From here on, a failure still restores: the guard exists before anything else can fail.
        let guard = Self { terminal: Terminal::new(CrosstermBackend::new(io::stdout()))? };
        // Cleared by a plain escape sequence: ratatui's `clear()` asks the terminal where
        // its cursor is, and the answer can be read as input by the key reader instead,
        // leaving the console blank or failing to start (crossterm#963).
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back; safe to call twice.
fn restore() {
    let _ = execute!(io::stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), crossterm::cursor::Show);
}

fn install_panic_hook() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        report(info);
    }));
}
