//! Drawing a wizard `Model`: theme, header, footer, one pure function per screen, overlays.
//! Nothing here changes the model.

#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
pub mod footer;
pub mod header;
pub mod overlay;
pub mod scorecard;
pub mod screens;
#[cfg(any(test, feature = "test-support"))]
pub mod svg;
pub mod text;
pub mod theme;
pub mod why;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

pub use theme::Theme;

use crate::wizard::model::ScrollLimits;
use crate::wizard::{Model, Step};

/// The smallest screen the wizard draws on.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Width from which the why panel sits beside the screen and the log panes sit side by side.
pub const WIDE: u16 = 120;

/// Draw the whole frame. Returns what it measured (how far the screen and the why panel can
/// scroll) for the runtime to hand back to the model, so scroll counters stop at the end.
pub fn draw(frame: &mut Frame, model: &Model, theme: &Theme) -> ScrollLimits {
    let limits = draw_screen(frame, model, theme);
    if theme.ascii {
        // One pass over the finished frame: every cell keeps its width, only its glyph changes.
        for cell in frame.buffer_mut().content.iter_mut() {
            let sym = theme::ascii_symbol(cell.symbol());
            if sym != cell.symbol() {
                let sym = sym.to_string();
                cell.set_symbol(&sym);
            }
        }
    }
    limits
}

fn draw_screen(frame: &mut Frame, model: &Model, theme: &Theme) -> ScrollLimits {
    let mut limits = ScrollLimits {
        step: model.step,
        preflight: model.preflight.is_some(),
        body: 0,
        why: 0,
    };
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        screens::too_small(frame, area, model, theme);
        return limits;
    }
    let footer_h = footer::height(model, area.width);
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(footer_h),
    ])
    .areas(area);
    header::draw(frame, head, model, theme);
    footer::draw(frame, foot, model, theme);
    if model.why_over_screen() {
        // Narrow window: the why text takes the whole body (nothing of the screen shows
        // through) and the keys, until w or Esc gives the screen back with all its controls.
        limits.why = why::draw_over(frame, body, model, theme);
    } else if model.why_open {
        let side = if body.width >= WIDE { 44 } else { 36 };
        let [main, side] =
            Layout::horizontal([Constraint::Min(60), Constraint::Length(side)]).areas(body);
        limits.body = draw_step(frame, main, model, theme);
        why::draw(frame, side, model, theme);
    } else {
        limits.body = draw_step(frame, body, model, theme);
    }
    overlay::draw(frame, area, model, theme);
    limits
}

/// The step screen; returns how far its body can scroll.
fn draw_step(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) -> u16 {
    if model.picker.is_some() {
        screens::detect::picker(frame, area, model, theme);
        return 0;
    }
    match model.step {
        Step::Detect if model.preflight.is_some() => {
            screens::preflight::draw(frame, area, model, theme)
        }
        Step::Detect => screens::detect::draw(frame, area, model, theme),
        Step::Warn => {
            screens::warn::draw(frame, area, model, theme);
            0
        }
        Step::Collect => {
            screens::collect::draw(frame, area, model, theme);
            0
        }
        Step::Run => screens::run::draw(frame, area, model, theme),
        Step::Watch => {
            screens::watch::draw(frame, area, model, theme);
            0
        }
        Step::Done => screens::done::draw(frame, area, model, theme),
    }
}
