//! Step 2: the documents the AI reads to answer customers (menus, prices, opening
//! hours), added by their path on this computer and deleted after asking. A path
//! that cannot be read is refused beside the path, which stays as typed.

use std::path::PathBuf;

use closer_core::model::{DocumentId, DocumentMeta};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::input::{Edit, Input};
use super::{fit, indented};
use crate::screens::scrolled_to;
use crate::theme::Theme;

/// closerd's limit, until it says another.
const LIMIT: usize = 50;
/// Longer is a paste accident, not a path.
const PATH_MAX: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    #[default]
    Browse,
    /// Typing a path.
    Adding,
    /// `d` was pressed: `y` deletes this one.
    Confirm(DocumentId),
}

/// What a key asks of the screen.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Upload(PathBuf),
    Delete(DocumentId),
    Ignored,
}

#[derive(Debug)]
pub struct Documents {
    /// The list arrived: until then "loading".
    loaded: bool,
    list: Vec<DocumentMeta>,
    limit: usize,
    selected: usize,
    /// The first row on screen.
    offset: usize,
    mode: Mode,
    path: Input,
    path_error: Option<String>,
    /// A document is being added or deleted: one change at a time.
    pending: bool,
    /// A refusal that is not about the path (deleting).
    error: Option<String>,
}

impl Default for Documents {
    fn default() -> Self {
        Self {
            loaded: false,
            list: Vec::new(),
            limit: LIMIT,
            selected: 0,
            offset: 0,
            mode: Mode::Browse,
            path: Input::default(),
            path_error: None,
            pending: false,
            error: None,
        }
    }
}

impl Documents {
    pub fn is_writing(&self) -> bool {
        self.mode == Mode::Adding
    }

    pub fn count(&self) -> usize {
        self.list.len()
    }

    pub fn set(&mut self, list: Vec<DocumentMeta>, limit: Option<usize>) {
        self.list = list;
        self.limit = limit.unwrap_or(LIMIT);
        self.selected = self.selected.min(self.list.len().saturating_sub(1));
        self.loaded = true;
    }

    pub fn added(&mut self, document: DocumentMeta) {
        self.pending = false;
        self.list.push(document);
        self.selected = self.list.len() - 1;
        self.path.clear();
        self.path_error = None;
        self.mode = Mode::Browse;
    }

    pub fn deleted(&mut self, id: DocumentId) {
        self.pending = false;
        self.list.retain(|document| document.id != id);
        self.selected = self.selected.min(self.list.len().saturating_sub(1));
    }

    /// closerd (or the disk) refused: an upload's reason goes beside the path.
    pub fn refused(&mut self, uploading: bool, why: &str) {
        self.pending = false;
        if uploading {
            self.path_error = Some(why.to_owned());
            self.mode = Mode::Adding;
        } else {
            self.error = Some(why.to_owned());
        }
    }

    fn start_adding(&mut self) {
        if self.list.len() >= self.limit {
            self.error =
                Some(format!("the knowledge base is full ({} documents): delete one first (d)", self.limit));
        } else {
            self.mode = Mode::Adding;
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Action {
        match self.mode {
            Mode::Adding => return self.write(key),
            Mode::Confirm(id) => {
                self.mode = Mode::Browse;
                let yes = matches!(key.code, KeyCode::Char('y' | 'Y'));
                return if yes && !self.pending {
                    self.pending = true;
                    Action::Delete(id)
                } else {
                    Action::None
                };
            }
            Mode::Browse => {}
        }
        self.error = None;
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.list.len().saturating_sub(1));
            }
            KeyCode::Char('a') | KeyCode::Enter => self.start_adding(),
            KeyCode::Char('d') | KeyCode::Delete => {
                if let Some(document) = self.list.get(self.selected) {
                    self.mode = Mode::Confirm(document.id);
                }
            }
            _ => return Action::Ignored,
        }
        Action::None
    }

    fn write(&mut self, key: KeyEvent) -> Action {
        match self.path.key(key) {
            Edit::Submit => {
                let typed = self.path.text().trim();
                self.path_error = if typed.is_empty() {
                    Some("type the path of a text or Markdown file, such as ~/menu.md".into())
                } else if typed.chars().count() > PATH_MAX {
                    Some(format!("too long for a path (at most {PATH_MAX} characters)"))
                } else {
                    None
                };
                if self.path_error.is_some() || self.pending {
                    return Action::None;
                }
                self.pending = true;
                Action::Upload(expand_home(typed))
            }
            // The path stays for next time.
            Edit::Cancel => {
                self.mode = Mode::Browse;
                Action::None
            }
            Edit::Changed => {
                self.path_error = None;
                Action::None
            }
            Edit::Ignored => Action::None,
        }
    }

    /// A pasted path (a file dropped on the terminal) goes into the path field.
    pub fn paste(&mut self, text: &str) {
        self.start_adding();
        if self.mode == Mode::Adding {
            self.path.paste(text.trim());
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        let width = usize::from(area.width);
        let mut intro = indented(
            "The documents the AI reads to answer customers: menus, prices, opening hours, delivery. \
             Plain text or Markdown, up to 1 MiB each.",
            2,
            width,
            theme.dim(),
        );
        intro.push(Line::raw(""));
        let mut below = self.path_lines(width, theme);
        if let Some(error) = &self.error {
            below.extend(indented(error, 2, width, theme.alert()));
        }
        let count = format!("  {} of {} documents", self.list.len(), self.limit);
        below.push(Line::styled(count, theme.dim()));
        let [top, rows, bottom] = Layout::vertical([
            Constraint::Length(u16::try_from(intro.len()).unwrap_or(0)),
            Constraint::Min(1),
            Constraint::Length(u16::try_from(below.len()).unwrap_or(0)),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(intro), top);
        frame.render_widget(Paragraph::new(self.rows(rows, theme)), rows);
        frame.render_widget(Paragraph::new(below), bottom);
    }

    fn rows(&mut self, area: Rect, theme: Theme) -> Vec<Line<'static>> {
        if self.list.is_empty() {
            let text = if self.loaded { "  No documents yet: a adds one." } else { "  loading …" };
            return vec![Line::styled(text, theme.dim())];
        }
        let height = usize::from(area.height).max(1);
        self.offset = scrolled_to(self.offset, Some(self.selected), height, self.list.len());
        let name_room = usize::from(area.width).saturating_sub(4 + 10 + 14);
        let mut lines = Vec::new();
        for (at, document) in self.list.iter().enumerate().skip(self.offset).take(height) {
            let selected = at == self.selected && self.mode != Mode::Adding;
            let marker = if selected { "› " } else { "  " };
            let name = fit(&closer_client::clean(&document.filename), name_room);
            let style = if selected { theme.selected() } else { theme.normal() };
            let when = document.uploaded_at.as_datetime().format("%-d %b %H:%M").to_string();
            lines.push(Line::from(vec![
                Span::raw(format!("  {marker}")),
                Span::styled(format!("{name:<name_room$}"), style),
                Span::raw(format!("{:>10}", size(document.size_bytes))),
                Span::styled(format!("  {when:>12}"), theme.dim()),
            ]));
        }
        lines
    }

    fn path_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if let Mode::Confirm(id) = self.mode {
            let name = self.list.iter().find(|d| d.id == id).map(|d| closer_client::clean(&d.filename));
            let question = format!(
                "Delete {}? The AI forgets what it says. y / n",
                name.unwrap_or_else(|| "the document".into())
            );
            lines.extend(indented(&question, 2, width, theme.alert()));
        }
        if self.mode == Mode::Adding || !self.path.is_empty() || self.path_error.is_some() {
            let adding = self.mode == Mode::Adding;
            let room = u16::try_from(width.saturating_sub(8)).unwrap_or(u16::MAX);
            let path = if adding { self.path.visible(room) } else { self.path.text().to_owned() };
            lines.push(Line::from(vec![
                Span::styled(if adding { "› path> " } else { "  path> " }, theme.key()),
                Span::styled(
                    fit(&path, usize::from(room)),
                    if adding { theme.focused() } else { theme.normal() },
                ),
            ]));
            if let Some(error) = &self.path_error {
                lines.extend(indented(&format!("↳ {error}"), 8, width, theme.alert()));
            } else if self.pending {
                lines.push(Line::styled("        adding …", theme.dim()));
            }
        }
        lines
    }
}

/// `~/menu.md` as the shell would read it: the backend opens the path as given.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// "840 B", "12.5 kB", "1.0 MB".
fn size(bytes: u64) -> String {
    // Tenths, in integers: a document is at most 1 MiB.
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{}.{} kB", bytes / 1_000, bytes % 1_000 / 100),
        _ => format!("{}.{} MB", bytes / 1_000_000, bytes % 1_000_000 / 100_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(840), "840 B");
        assert_eq!(size(12_560), "12.5 kB");
        assert_eq!(size(1_048_576), "1.0 MB");
    }

    #[test]
    fn a_home_path_is_expanded() {
        assert_eq!(expand_home("/tmp/menu.md"), PathBuf::from("/tmp/menu.md"));
        if let Some(home) = std::env::var_os("HOME") {
            assert_eq!(expand_home("~/menu.md"), PathBuf::from(home).join("menu.md"));
        }
    }
}
