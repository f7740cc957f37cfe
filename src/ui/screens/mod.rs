//! One module per step screen, plus the too-small screen.

pub mod collect;
pub mod detect;
pub mod done;
pub mod preflight;
pub mod run;
pub mod warn;
pub mod watch;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{MIN_HEIGHT, MIN_WIDTH, Theme};

/// Under 80x24: say so instead of drawing a cut-off screen. Keys keep working, and the keys
/// named here are the ones that work in the current state (a quit question included).
pub fn too_small(frame: &mut Frame, area: Rect, model: &crate::wizard::Model, theme: &Theme) {
    use crate::wizard::model::Overlay;
    let quit = match model.overlay {
        Some(Overlay::QuitConfirm { .. }) => {
            "Quit midrescue? Ctrl-C quits now; Esc stays.".to_string()
        }
        Some(_) => "Esc closes the open dialog; then q quits.".to_string(),
        None if crate::wizard::update::needs_quit_guard(model) => {
            "q asks before quitting (work is running); then Ctrl-C quits now.".to_string()
        }
        None => "q quits.".to_string(),
    };
    let lines = vec![
        Line::styled("Terminal too small", theme.warn()),
        Line::raw(""),
        Line::raw(format!(
            "This window is {}x{}; midrescue needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        )),
        Line::raw("Enlarge the window or use a smaller font."),
        Line::raw("Anything already running keeps running."),
        Line::raw(quit),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(Block::default()),
        area,
    );
}

/// A bordered block with a title.
pub fn panel<'a>(title: &str, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_style(theme.border())
        .title(Line::styled(format!(" {title} "), theme.title()))
}

/// How far wrapped `body` can scroll in `visible` rows of `width` columns.
pub fn max_scroll(body: &Paragraph<'_>, width: u16, visible: u16) -> u16 {
    let rows = body.line_count(width);
    u16::try_from(rows.saturating_sub(usize::from(visible))).unwrap_or(u16::MAX)
}

/// `block` with the bottom title that says where the rest of a scrolled body is.
pub fn scroll_hint<'a>(block: Block<'a>, scroll: u16, max: u16, theme: &Theme) -> Block<'a> {
    if scroll < max {
        block.title_bottom(Line::styled(" ↓ more below: ↑/↓ scroll ", theme.key()))
    } else if scroll > 0 {
        block.title_bottom(Line::styled(" ↑ more above ", theme.key()))
    } else {
        block
    }
}

/// A bordered, wrapped, scrolled screen body: the lines never cut, the border says what is
/// above or below. Returns how far it can scroll (the model clamps its counter to that).
pub fn scrolled_panel(
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line<'_>>,
    title: &str,
    scroll: u16,
    theme: &Theme,
) -> u16 {
    let body = Paragraph::new(lines).wrap(Wrap { trim: false });
    let max = max_scroll(
        &body,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    let scroll = scroll.min(max);
    let block = scroll_hint(panel(title, theme), scroll, max, theme);
    frame.render_widget(body.scroll((scroll, 0)).block(block), area);
    max
}
