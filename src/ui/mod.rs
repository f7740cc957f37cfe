//! Drawing a wizard `Model`: theme, header, footer, one pure function per screen, overlays.
//! Nothing here changes the model.

#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
pub mod footer;
pub mod header;
pub mod overlay;
pub mod screens;
#[cfg(any(test, feature = "test-support"))]
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
    draw_screen(frame, model, theme);
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
}

fn draw_screen(frame: &mut Frame, model: &Model, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        screens::too_small(frame, area, model, theme);
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

    let (main, why_area) = split_for_why(model, body, theme);
    let why_squeezed = model.why_open && why_area.is_none();
    footer::draw(frame, foot, model, theme, why_squeezed);
    draw_step(frame, main, model, theme);
    if let Some(a) = why_area {
        why::draw(frame, a, model, theme);
    } else if why_squeezed {
        // No room beside or below: the why text sits over the screen until `w` hides it.
        why::draw_popup(frame, body, model, theme);
    }
    overlay::draw(frame, area, model, theme);
}

/// Rows of the why panel below the screen at narrow widths, never taking rows the screen uses:
/// the screen is drawn once off-screen to see how much of the body it fills.
fn split_for_why(model: &Model, body: Rect, theme: &Theme) -> (Rect, Option<Rect>) {
    if !model.why_open {
        return (body, None);
    }
    if body.width >= WIDE {
        let [main, side] =
            Layout::horizontal([Constraint::Min(60), Constraint::Length(44)]).areas(body);
        return (main, Some(side));
    }
    let used = rows_used(model, body, theme);
    let free = body.height.saturating_sub(used);
    let want = why::height(model, body.width);
    if free < 4 {
        return (body, None);
    }
    let h = want.min(free);
    let [main, bottom] = Layout::vertical([Constraint::Min(1), Constraint::Length(h)]).areas(body);
    (main, Some(bottom))
}

/// How many rows of `body` the step screen needs (its content plus the bottom border).
fn rows_used(model: &Model, body: Rect, theme: &Theme) -> u16 {
    let mut buf = ratatui::buffer::Buffer::empty(Rect {
        x: 0,
        y: 0,
        width: body.width,
        height: body.height,
    });
    let area = buf.area;
    draw_step_into(&mut buf, area, model, theme);
    let inner = |y: u16| {
        (1..area.width.saturating_sub(1))
            .any(|x| buf.cell((x, y)).is_some_and(|c| c.symbol() != " "))
    };
    // The last row is the bottom border; find the last interior row with content.
    let last = (1..area.height.saturating_sub(1))
        .rev()
        .find(|y| inner(*y))
        .unwrap_or(0);
    last + 2
}

fn draw_step_into(buf: &mut ratatui::buffer::Buffer, area: Rect, model: &Model, theme: &Theme) {
    let backend = ratatui::backend::TestBackend::new(area.width, area.height);
    let Ok(mut t) = ratatui::Terminal::new(backend);
    let _ = t.draw(|f| draw_step(f, area, model, theme));
    buf.merge(t.backend().buffer());
}

fn draw_step(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    if model.picker.is_some() {
        screens::detect::picker(frame, area, model, theme);
        return;
    }
    match model.step {
        Step::Detect if model.preflight.is_some() => {
            screens::preflight::draw(frame, area, model, theme)
        }
        Step::Detect => screens::detect::draw(frame, area, model, theme),
        Step::Warn => screens::warn::draw(frame, area, model, theme),
        Step::Collect => screens::collect::draw(frame, area, model, theme),
        Step::Run => screens::run::draw(frame, area, model, theme),
        Step::Watch => screens::watch::draw(frame, area, model, theme),
        Step::Done => screens::done::draw(frame, area, model, theme),
    }
}
