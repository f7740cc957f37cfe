//! Collect: the bundle's progress, then its path, size, sha256, redactions and skipped files.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::wizard::Model;
use crate::wizard::Step;
use crate::wizard::keymap::{self, Action};
use crate::wizard::model::{Collect, Job};

use super::super::Theme;
use super::super::text::{self, kv};
use super::panel;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let mut lines = vec![
        Line::raw(""),
        Line::raw(" Saving the logs before anything else: glide-dist-upgrade.log may be the only"),
        Line::raw(" record of why the upgrade crashed (KB0779816). Read-only on the MID."),
        Line::raw(""),
    ];
    lines.extend(bundle_lines(&model.collect, usize::from(area.width), theme));
    // Where Enter leads, when it is not to Run (the engine's route for this verdict).
    let after = match model.verdict().map(crate::recovery::policy::route) {
        Some(crate::recovery::policy::Route::CollectThenStop) => Some(
            "Nothing can be re-run (the temp folder is gone): Enter ends on Done with the manual procedure.",
        ),
        Some(crate::recovery::policy::Route::WatchOnly) => {
            Some("An upgrade already runs: Enter watches it (nothing is started).")
        }
        _ => None,
    };
    if let Some(a) = after {
        lines.push(Line::raw(""));
        lines.extend(
            super::super::text::wrap_indented(
                a,
                usize::from(area.width).saturating_sub(2),
                " ",
                " ",
            )
            .into_iter()
            .map(|l| Line::styled(l, theme.warn())),
        );
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel("Collect · support bundle", theme)),
        area,
    );
}

/// Progress or result of a bundle (shared with Done's final bundle).
pub fn bundle_lines<'a>(c: &Collect, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let w = 12;
    let val = width.saturating_sub(w + 5);
    match &c.job {
        Job::Idle => vec![Line::raw(" Not started.")],
        Job::Running(_) => {
            let p = &c.progress;
            let bar_w = 30usize;
            let bar = |done: u64, total: u64| {
                let filled =
                    usize::try_from(done.min(total) * bar_w as u64 / total).unwrap_or(bar_w);
                format!("[{}{}]", "█".repeat(filled), "░".repeat(bar_w - filled))
            };
            // The bar follows bytes when they are known: it then moves inside a big file.
            let (bar, count) = match (p.files_total, p.bytes_total) {
                (Some(t), Some(b)) if b > 0 => (
                    bar(p.bytes_done, b),
                    format!(
                        "{} of {t} files · {} of {}",
                        p.files_done,
                        text::bytes(p.bytes_done),
                        text::bytes(b)
                    ),
                ),
                (Some(t), _) if t > 0 => (
                    bar(p.files_done, t),
                    format!(
                        "{} of {t} files · {}",
                        p.files_done,
                        text::bytes(p.bytes_done)
                    ),
                ),
                _ => (
                    String::new(),
                    format!("{} files · {}", p.files_done, text::bytes(p.bytes_done)),
                ),
            };
            vec![
                Line::styled(" … Building the bundle", theme.title()),
                Line::raw(format!(" {bar} {count}")),
                Line::styled(
                    format!(
                        "   {}",
                        text::ellipsize_left(p.current.as_deref().unwrap_or(""), val)
                    ),
                    theme.dim(),
                ),
            ]
        }
        Job::Failed(e) => vec![
            Line::styled(format!(" ✗ The bundle failed: {e}"), theme.error()),
            Line::raw(format!(
                " Press {} to try again. The recovery waits until the logs are saved.",
                keymap::step_key(Step::Collect, Action::Retry)
            )),
        ],
        Job::Done(b) => {
            let mut v = vec![
                Line::styled(" ✓ Bundle saved", theme.ok()),
                kv(
                    "   Path",
                    text::ellipsize_left(&b.path.display().to_string(), val),
                    theme,
                    w,
                ),
                kv(
                    "   Size",
                    format!("{} · {} files", text::bytes(b.size), b.files),
                    theme,
                    w,
                ),
                kv("   sha256", text::ellipsize(&b.sha256, val), theme, w),
                kv(
                    "   Redacted",
                    format!(
                        "{} secrets · {} logs cut to their last part",
                        b.redactions, b.truncated
                    ),
                    theme,
                    w,
                ),
            ];
            if b.skipped.is_empty() {
                v.push(kv("   Skipped", "none", theme, w));
            } else {
                v.push(Line::from(vec![
                    Span::styled(format!("{:<w$} ", "   Skipped"), theme.label()),
                    Span::styled(
                        format!("! {} file(s) unreadable:", b.skipped.len()),
                        theme.warn(),
                    ),
                ]));
                for (f, why) in b.skipped.iter().take(3) {
                    v.push(Line::styled(
                        text::ellipsize(&format!("     {f}: {why}"), width.saturating_sub(3)),
                        theme.dim(),
                    ));
                }
            }
            v
        }
    }
}
