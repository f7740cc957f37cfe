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

/// The panel's border, titled with the step and how to close it.
fn block<'a>(model: &Model, close: &str, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_style(theme.border())
        .title(Line::styled(
            format!(" Why: {} ({close}) ", model.step.title()),
            theme.title(),
        ))
}

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let block = block(model, "w hides", theme);
    let p = Paragraph::new(lines(model.step)).wrap(Wrap { trim: true });
    // Cut short: say so, and where the whole text is.
    let block = if p.line_count(area.width.saturating_sub(2))
        > usize::from(area.height.saturating_sub(2))
    {
        block.title_bottom(Line::styled(
            " … more: a taller window shows it ",
            theme.key(),
        ))
    } else {
        block
    };
    frame.render_widget(p.block(block), area);
}

/// The panel over the whole of `body` (narrow windows), scrolled by the model's `why_scroll`.
/// Returns how far it can scroll.
pub fn draw_over(frame: &mut Frame, body: Rect, model: &Model, theme: &Theme) -> u16 {
    let block = block(model, "w or Esc closes", theme);
    let p = Paragraph::new(lines(model.step)).wrap(Wrap { trim: true });
    let max = super::screens::max_scroll(
        &p,
        body.width.saturating_sub(2),
        body.height.saturating_sub(2),
    );
    let scroll = model.why_scroll.min(max);
    let block = super::screens::scroll_hint(block, scroll, max, theme);
    frame.render_widget(ratatui::widgets::Clear, body);
    frame.render_widget(p.scroll((scroll, 0)).block(block), body);
    max
}
