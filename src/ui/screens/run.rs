//! Run: exactly what will run, with focus on Cancel and a deliberate move to proceed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::recovery::RunKind;
use crate::wizard::Model;
use crate::wizard::Step;
use crate::wizard::keymap::{self, Action};
use crate::wizard::model::Job;
use crate::wizard::msg::RunOutcome;

use super::super::Theme;
use super::super::text::{self, kv};
use super::panel;

/// Returns how far the body (above the buttons) can scroll.
pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) -> u16 {
    let width = usize::from(area.width);
    let mut lines = vec![];
    let mut buttons: Option<Vec<Line>> = None;
    if let Some(reason) = &model.run.fallback_reason {
        lines.push(Line::styled(
            " ! The script answered that the upgrade service is not installed:",
            theme.warn(),
        ));
        lines.push(Line::styled(
            text::ellipsize(&format!("   \"{reason}\""), width.saturating_sub(3)),
            theme.dim(),
        ));
        lines.push(Line::raw(
            " KB0779816's fallback starts the upgrade wrapper directly instead:",
        ));
        lines.push(Line::raw(""));
    }
    match &model.run.plan {
        Job::Idle | Job::Running(_) => {
            lines.push(Line::raw(" … Working out the command (nothing runs yet)…"));
        }
        Job::Failed(e) => {
            let why = match &model.run.script_fix {
                Some(f) if f.needs_chmod => {
                    "the upgrade script has no exec bit, so it cannot run (KB0690910).".to_string()
                }
                _ => e.clone(),
            };
            lines.extend(
                text::wrap_indented(
                    &format!("✗ Cannot run: {why}"),
                    width.saturating_sub(2),
                    " ",
                    "   ",
                )
                .into_iter()
                .map(|l| Line::styled(l, theme.error())),
            );
            if let Some(fix) = &model.run.script_fix {
                script_fix_lines(&mut lines, model, fix, width, theme);
            } else {
                lines.push(Line::raw(format!(
                    " Fix the cause, then press {} to plan it again, or {} to quit.",
                    keymap::step_key(Step::Run, Action::Retry),
                    keymap::step_key(Step::Run, Action::Quit)
                )));
            }
        }
        Job::Done(plan) => {
            let w = 11;
            let val = width.saturating_sub(w + 5);
            let what = match plan.kind {
                RunKind::Script => "This re-runs the crashed upgrade:",
                RunKind::WrapperFallback => "This starts the upgrade wrapper (fallback):",
            };
            lines.push(Line::styled(format!(" {what}"), theme.title()));
            // The whole command, wrapped at spaces under its label: exactly what runs.
            let pad = " ".repeat(w + 1);
            lines.extend(
                text::wrap_indented(
                    &plan.command,
                    width.saturating_sub(2),
                    &format!("{:<w$} ", "   Command"),
                    &pad,
                )
                .into_iter()
                .map(Line::raw),
            );
            if let Some(real) = &plan.real_host_command {
                lines.extend(
                    text::wrap_indented(
                        &format!("(a lab: this simulates what a real host runs: {real})"),
                        width.saturating_sub(2),
                        &pad,
                        &pad,
                    )
                    .into_iter()
                    .map(|l| Line::styled(l, theme.dim())),
                );
            }
            lines.push(kv(
                "   In",
                text::ellipsize_left(&plan.folder.display().to_string(), val),
                theme,
                w,
            ));
            lines.push(kv("   As", plan.user.clone(), theme, w));
            lines.push(kv(
                "   Output",
                text::ellipsize_left(&plan.tee_path.display().to_string(), val),
                theme,
                w,
            ));
            lines.extend(
                text::wrap_indented(
                    &plan.expected,
                    width.saturating_sub(2),
                    &format!("{:<w$} ", "   Expect"),
                    &pad,
                )
                .into_iter()
                .map(Line::raw),
            );
            lines.push(Line::raw(
                " It runs detached: it keeps going if you quit or the link drops.",
            ));
            if model.opts.dry_run {
                lines.push(Line::styled(
                    " DRY RUN: Run only shows the command; nothing will run.",
                    theme.warn(),
                ));
            }
            let proceed = if model.opts.dry_run {
                "Run (dry run)"
            } else {
                "Run it"
            };
            buttons = Some(vec![
                text::buttons(model.run.focus, "Cancel", proceed, theme),
                Line::styled(
                    format!(
                        "   Focus starts on Cancel: {} moves to Run, {} presses.",
                        keymap::step_key(Step::Run, Action::FocusNext),
                        keymap::step_key(Step::Run, Action::Activate)
                    ),
                    theme.dim(),
                ),
            ]);
        }
    }
    if let (Job::Done(_), Some(fix)) = (&model.run.plan, &model.run.script_fix) {
        script_fix_lines(&mut lines, model, fix, width, theme);
    } else if let Some(mode) = model.run.chmod.done() {
        lines.push(Line::styled(
            format!(" ✓ chmod +x done: the script is now {mode}."),
            theme.ok(),
        ));
    }
    // Said beside the buttons, so a long command above can never push it out of sight.
    let mut note: Vec<Line> = vec![];
    if model.run.cancelled {
        note.extend(
            text::wrap_indented(
                &format!(
                    "Not run. Nothing changed. Run it when ready, or {} to quit (the bundle is saved).",
                    keymap::step_key(Step::Run, Action::Quit)
                ),
                width.saturating_sub(2),
                " ",
                " ",
            )
            .into_iter()
            .map(|l| Line::styled(l, theme.warn())),
        );
    }
    if model.run.run.is_some() && model.run.exited.is_none() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(" … Starting…"));
    }
    if let Some(RunOutcome::SpawnFailed { error }) = &model.run.exited {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(" ✗ Could not start: ", theme.error()),
            Span::raw(error.clone()),
        ]));
    }
    // The buttons keep their place at the bottom, so a long command never pushes them away;
    // the body above them scrolls (↑/↓) when it does not fit.
    if buttons.is_none() {
        lines.append(&mut note);
    }
    let button_rows = if buttons.is_some() {
        3 + u16::try_from(note.len()).unwrap_or(0)
    } else {
        0
    };
    let inner = panel("", theme).inner(area);
    let [body, foot] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(button_rows)]).areas(inner);
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let max = super::max_scroll(&text, body.width, body.height);
    let scroll = model.run_scroll.min(max);
    let block = panel("Run · re-run the upgrade", theme);
    // With buttons, where more is, is said right above them (where the eye is); else in the border.
    let block = if buttons.is_some() {
        block
    } else {
        super::scroll_hint(block, scroll, max, theme)
    };
    frame.render_widget(block, area);
    frame.render_widget(text.scroll((scroll, 0)), body);
    if let Some(b) = buttons {
        let hint = match (scroll < max, scroll > 0) {
            (true, _) => Line::styled(" ↓ more below: ↑/↓ scroll", theme.key()),
            (false, true) => Line::styled(" ↑ more above: ↑ scrolls back", theme.key()),
            (false, false) => Line::raw(""),
        };
        let mut v = vec![hint];
        v.extend(note);
        v.extend(b);
        frame.render_widget(Paragraph::new(v), foot);
    }
    max
}

/// The script cannot be executed: chmod +x as a confirmed action, a noexec remount to copy.
fn script_fix_lines(
    lines: &mut Vec<Line<'_>>,
    model: &Model,
    fix: &crate::recovery::fix::ScriptFix,
    width: usize,
    theme: &Theme,
) {
    let inner = width.saturating_sub(2);
    lines.push(Line::raw(""));
    if fix.needs_chmod || model.run.chmod.done().is_some() {
        match &model.run.chmod {
            Job::Running(_) => lines.push(Line::raw(" … chmod +x …")),
            Job::Done(mode) => lines.push(Line::styled(
                format!(" ✓ chmod +x done: the script is now {mode}."),
                theme.ok(),
            )),
            Job::Failed(e) => lines.push(Line::styled(
                format!(" ✗ chmod +x failed: {e}"),
                theme.error(),
            )),
            Job::Idle => {
                lines.push(Line::from(vec![
                    Span::raw(" Press "),
                    Span::styled(
                        keymap::step_key(Step::Run, Action::MakeExecutable),
                        theme.key(),
                    ),
                    Span::raw(" to make it executable (asks first), which runs exactly:"),
                ]));
                lines.extend(
                    text::wrap_indented(&fix.chmod_command, inner, "   ", "   ")
                        .into_iter()
                        .map(|l| Line::styled(l, theme.title())),
                );
            }
        }
    }
    if let Some(n) = &fix.noexec {
        lines.push(Line::styled(
            format!(
                " ! Its folder is on a noexec mount ({}): the script cannot run from there even \
with chmod. midrescue does not remount; copy and run this yourself, then press {}:",
                crate::sanitize::path(&n.mount_point),
                keymap::step_key(Step::Run, Action::Retry)
            ),
            theme.warn(),
        ));
        lines.extend(
            text::wrap_indented(&n.remount_command, inner, "   ", "   ")
                .into_iter()
                .map(|l| Line::styled(l, theme.title())),
        );
    }
}
