//! The footer: the hint bar generated from the keymap (disabled actions dimmed, with the reason)
//! and one line for the current notice.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::Model;
use crate::wizard::keymap::{self, BindingState};

use super::Theme;

/// One hint as spans plus its width in columns.
fn hint<'a>(b: &BindingState, theme: &Theme) -> (Vec<Span<'a>>, usize) {
    let (keys, label) = (b.binding.display, b.binding.label);
    let spans = match &b.enabled {
        Ok(()) => vec![
            Span::styled(keys.to_string(), theme.key()),
            Span::raw(format!(" {label}")),
        ],
        Err(why) => vec![Span::styled(format!("{keys} {label} ({why})"), theme.dim())],
    };
    let w = spans.iter().map(|s| s.content.chars().count()).sum();
    (spans, w)
}

/// Hint lines flowed into `width` columns.
pub fn hint_lines<'a>(model: &Model, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let width = usize::from(width).max(20);
    let mut lines: Vec<Line<'a>> = vec![];
    let mut cur: Vec<Span<'a>> = vec![Span::raw(" ")];
    let mut used = 1;
    for b in keymap::bindings(model) {
        if b.enabled.is_err() && keymap::situational(b.binding) {
            continue;
        }
        let (spans, w) = hint(&b, theme);
        let sep = if used > 1 { 3 } else { 0 };
        if used + sep + w > width && used > 1 {
            lines.push(Line::from(std::mem::take(&mut cur)));
            cur.push(Span::raw(" "));
            used = 1;
        } else if sep > 0 {
            cur.push(Span::styled(" · ", theme.dim()));
            used += sep;
        }
        cur.extend(spans);
        used += w;
    }
    lines.push(Line::from(cur));
    lines
}

/// Rows the footer needs at this width: a separator, the hints, the notice line.
pub fn height(model: &Model, width: u16) -> u16 {
    let hints = hint_lines(model, width, &super::Theme::mono()).len();
    u16::try_from(hints).unwrap_or(2).min(3) + 2
}

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let mut lines = vec![Line::styled(
        "─".repeat(usize::from(area.width)),
        theme.border(),
    )];
    lines.extend(hint_lines(model, area.width, theme));
    let notice = match &model.notice {
        Some(n) => Line::styled(format!(" {n}"), theme.warn()),
        None if model.why_over_screen() => Line::styled(
            " The screen's keys wait until the why panel is closed (windows 100 wide: beside).",
            theme.dim(),
        ),
        None => Line::styled(
            " Nothing changes unless you confirm it. midrescue never starts the MID service.",
            theme.dim(),
        ),
    };
    lines.push(notice);
    frame.render_widget(Paragraph::new(lines), area);
}
