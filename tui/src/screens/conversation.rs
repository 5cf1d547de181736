//! A conversation pane, as Leo and the campaign preview show one: the turns laid out
//! from the bottom (newest by the input, only what is in view laid out), hints while
//! it is empty, a status line and the input line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::input::Input;
use crate::theme::Theme;

/// The lines of `turns` (oldest first) that fit `height`, `scroll` lines up from the
/// newest. Turns are laid out newest first and only until the view is full; `scroll`
/// is clamped once the oldest is in, so it never runs past the top.
pub fn bottom_up<T>(
    turns: &[T],
    scroll: &mut usize,
    height: usize,
    lay_out: impl Fn(&T) -> Vec<Line<'static>>,
) -> Vec<Line<'static>> {
    let mut reversed: Vec<Line<'static>> = Vec::new();
    let mut all = true;
    for turn in turns.iter().rev() {
        if reversed.len() >= *scroll + height {
            all = false;
            break;
        }
        let mut lines = lay_out(turn);
        lines.reverse();
        reversed.extend(lines);
    }
    if all {
        *scroll = (*scroll).min(reversed.len().saturating_sub(height));
    }
    let end = reversed.len().min(*scroll + height);
    let mut shown: Vec<Line<'static>> = reversed.drain((*scroll).min(end)..end).collect();
    // A short conversation sits at the bottom, by the input.
    shown.resize(height, Line::raw(""));
    shown.reverse();
    shown
}

/// What a conversation pane shows besides its turns.
#[derive(Debug)]
pub struct Pane<'a> {
    pub block: Block<'a>,
    /// Shown instead of the turns while there are none.
    pub hints: Vec<Line<'a>>,
    pub status: Line<'a>,
    /// While the owner writes: the prompt and what is typed.
    pub writing: Option<(Span<'a>, &'a Input)>,
    /// The input line otherwise: what to press.
    pub idle: Line<'a>,
}

impl Pane<'_> {
    /// Draws the pane; `turns(width, height)` gives the turns' lines when there are any.
    pub fn draw(
        self,
        frame: &mut Frame,
        area: Rect,
        empty: bool,
        turns: impl FnOnce(usize, usize) -> Vec<Line<'static>>,
    ) {
        let inner = self.block.inner(area);
        frame.render_widget(self.block, area);
        let [body, status, input] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1), Constraint::Length(1)]).areas(inner);
        if empty {
            frame.render_widget(Paragraph::new(self.hints), body);
        } else {
            frame.render_widget(
                Paragraph::new(turns(usize::from(body.width), usize::from(body.height))),
                body,
            );
        }
        frame.render_widget(self.status, status);
        let input_line = match self.writing {
            Some((prompt, typed)) => {
                let room = input.width.saturating_sub(u16::try_from(prompt.width()).unwrap_or(u16::MAX));
                Line::from(vec![prompt, Span::styled(typed.visible(room), Theme::plain().focused())])
            }
            None => self.idle,
        };
        frame.render_widget(input_line, input);
    }
}
