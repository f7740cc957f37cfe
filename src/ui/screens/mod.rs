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
