//! The "why" panel: what this step does and the KB reasoning behind it (texts in assets/why).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::wizard::{Model, Step};

use super::Theme;

pub fn text_for(step: Step) -> &'static str {
    match step {
        Step::Detect => include_str!("../../assets/why/detect.txt"),
        Step::Warn => include_str!("../../assets/why/warn.txt"),
        Step::Collect => include_str!("../../assets/why/collect.txt"),
        Step::Run => include_str!("../../assets/why/run.txt"),
        Step::Watch => include_str!("../../assets/why/watch.txt"),
        Step::Done => include_str!("../../assets/why/done.txt"),
    }
}

fn lines(step: Step) -> Vec<Line<'static>> {
    text_for(step)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Line::raw(l.trim().to_string()))
        .collect()
}

/// Rows the panel would like at this width (wrapped text plus borders).
pub fn height(model: &Model, width: u16) -> u16 {
    let inner = usize::from(width.saturating_sub(2)).max(10);
    let rows: usize = lines(model.step)
        .iter()
        .map(|l| l.width().div_ceil(inner).max(1))
        .sum();
    u16::try_from(rows + 2).unwrap_or(u16::MAX)
}

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let block = Block::bordered()
        .border_style(theme.border())
        .title(Line::styled(
            format!(" Why: {} (w hides) ", model.step.title()),
            theme.title(),
        ));
    let p = Paragraph::new(lines(model.step)).wrap(Wrap { trim: true });
    // Cut short: say so, and where the whole text is.
    let block = if p.line_count(area.width.saturating_sub(2))
        > usize::from(area.height.saturating_sub(2))
    {
        block.title_bottom(Line::styled(
            " … more: a wider window shows it all ",
            theme.key(),
        ))
    } else {
        block
    };
    frame.render_widget(p.block(block), area);
}

/// The panel as a popup over the lower part of `body` (narrow screens without room for it).
pub fn draw_popup(frame: &mut Frame, body: Rect, model: &Model, theme: &Theme) {
    let h = height(model, body.width.saturating_sub(4)).min(body.height);
    let area = Rect {
        x: body.x + 2,
        y: body.y + body.height.saturating_sub(h),
        width: body.width.saturating_sub(4),
        height: h,
    };
    frame.render_widget(ratatui::widgets::Clear, area);
    draw(frame, area, model, theme);
}
