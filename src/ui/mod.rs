//! Drawing a wizard `Model`: theme, header, footer, one pure function per screen, overlays.
//! Nothing here changes the model.

pub mod fixtures;
pub mod footer;
pub mod header;
pub mod overlay;
pub mod screens;
pub mod svg;
pub mod text;
pub mod theme;
pub mod why;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

pub use theme::Theme;

use crate::wizard::{Model, Step};

/// The smallest screen the wizard draws on.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Width from which the why panel sits beside the screen and the log panes sit side by side.
pub const WIDE: u16 = 120;

/// Draw the whole frame.
pub fn draw(frame: &mut Frame, model: &Model, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        screens::too_small(frame, area, theme);
        return;
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

    let (main, why_area) = split_for_why(model, body);
    draw_step(frame, main, model, theme);
    if let Some(a) = why_area {
        why::draw(frame, a, model, theme);
    }
    overlay::draw(frame, area, model, theme);
}

fn split_for_why(model: &Model, body: Rect) -> (Rect, Option<Rect>) {
    if !model.why_open {
        return (body, None);
    }
    if body.width >= WIDE {
        let [main, side] =
            Layout::horizontal([Constraint::Min(60), Constraint::Length(44)]).areas(body);
        (main, Some(side))
    } else {
        let h = why::height(model, body.width).min(body.height / 2);
        let [main, bottom] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(h)]).areas(body);
        (main, Some(bottom))
    }
}

fn draw_step(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    if model.picker.is_some() {
        screens::detect::picker(frame, area, model, theme);
        return;
    }
    match model.step {
        Step::Detect => screens::detect::draw(frame, area, model, theme),
        Step::Warn => screens::warn::draw(frame, area, model, theme),
        Step::Collect => screens::collect::draw(frame, area, model, theme),
        Step::Run => screens::run::draw(frame, area, model, theme),
        Step::Watch => screens::watch::draw(frame, area, model, theme),
        Step::Done => screens::done::draw(frame, area, model, theme),
    }
}
