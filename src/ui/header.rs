//! The two header rows: where we are (step, MID, host, elapsed) and the path of steps.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::{Model, Step};

use super::Theme;
use super::text::{self, CURRENT, DONE, SKIPPED};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let mut left = format!(
        " midrescue · Step {} of 6 · {}",
        model.step.number(),
        model.step.title()
    );
    if model.opts.training {
        left.push_str(" · TRAINING");
    }
    if model.opts.dry_run {
        left.push_str(" · DRY RUN");
    }
    let mid = model.mid_name().unwrap_or("?");
    let right = format!(
        "MID {} · host {} · {} ",
        text::ellipsize(mid, 24),
        text::ellipsize(&model.opts.host, 20),
        text::duration(model.elapsed_secs())
    );
    let right = if left.chars().count() + right.chars().count() + 1 > usize::from(area.width) {
        format!(
            "MID {} · {} ",
            text::ellipsize(mid, 16),
            text::duration(model.elapsed_secs())
        )
    } else {
        right
    };
    let pad = usize::from(area.width)
        .saturating_sub(left.chars().count() + right.chars().count())
        .max(1);
    let line = Line::from(vec![
        Span::raw(left),
        Span::raw(" ".repeat(pad)),
        Span::raw(right),
    ])
    .style(theme.header());
    frame.render_widget(Paragraph::new(line), Rect { height: 1, ..area });

    if area.height > 1 {
        let steps = path(model, theme);
        frame.render_widget(
            Paragraph::new(steps),
            Rect {
                y: area.y + 1,
                height: 1,
                ..area
            },
        );
    }
}

/// `✓ Detect › ✓ Warn › ▶ Collect › Run › Watch › Done`; passed-over steps are `⊘ Run`, with a
/// legend, so a skipped step never looks done (the mark shows without colour too).
fn path<'a>(model: &Model, theme: &Theme) -> Line<'a> {
    let cur = model.step.number();
    let mut spans = vec![Span::raw(" ")];
    for (i, step) in Step::ALL.iter().enumerate() {
        let n = i + 1;
        if i > 0 {
            spans.push(Span::styled(" › ", theme.dim()));
        }
        let (marker, style) = if model.is_skipped(*step) && n != cur {
            (format!("{SKIPPED} "), theme.dim())
        } else if n < cur {
            (format!("{DONE} "), theme.ok())
        } else if n == cur {
            (format!("{CURRENT} "), theme.title())
        } else {
            (String::new(), theme.dim())
        };
        spans.push(Span::styled(format!("{marker}{}", step.title()), style));
    }
    if !model.skipped.is_empty() {
        spans.push(Span::styled(format!("   {SKIPPED} skipped"), theme.dim()));
    }
    Line::from(spans)
}
