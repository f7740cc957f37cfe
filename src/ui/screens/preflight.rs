//! Preflight (from Detect on a healthy MID): the pre-upgrade checks, failures first, each with
//! what was found, the evidence and the fix. Read-only, like the checks themselves.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::preflight::{PreflightReport, Status};
use crate::wizard::Model;
use crate::wizard::keymap::{self, Action, Context};
use crate::wizard::model::Job;

use super::super::Theme;
use super::super::text;

/// Returns how far the body can scroll.
pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) -> u16 {
    let Some(view) = &model.preflight else {
        return 0;
    };
    let width = usize::from(area.width.saturating_sub(2));
    let lines = match &view.job {
        Job::Idle | Job::Running(_) => vec![
            Line::raw(""),
            Line::raw(
                " Checking: open files, the upgrade temp folder, the service and its account,",
            ),
            Line::raw(" config.xml, package/incoming, scripts, leftovers. Nothing is changed."),
        ],
        Job::Failed(e) => vec![
            Line::raw(""),
            Line::styled(format!(" ✗ Preflight failed: {e}"), theme.error()),
            Line::raw(format!(
                " Press {} to check again.",
                keymap::key_of(Context::Preflight, Action::Retry)
            )),
        ],
        Job::Done(r) => report_lines(r, width, theme),
    };
    super::scrolled_panel(
        frame,
        area,
        lines,
        "Preflight · read-only · before the instance upgrade",
        view.scroll,
        theme,
    )
}

fn mark(s: Status, theme: &Theme) -> (&'static str, Style) {
    match s {
        Status::Fail => ("✗ FAIL", theme.error()),
        Status::Warn => ("! WARN", theme.warn()),
        Status::Pass => ("✓ pass", theme.ok()),
        Status::Skip => ("- n/a ", theme.dim()),
    }
}

/// The report as lines: the result, then every check (failures first) with its message, and
/// for a failure or warning its first evidence and the fix.
pub fn report_lines<'a>(r: &PreflightReport, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let (head, style) = match r.result {
        Status::Fail => (
            "✗ Fix the failures before the instance upgrade: this MID's auto-upgrade would crash.",
            theme.error(),
        ),
        Status::Warn => (
            "! Read the warnings before the instance upgrade.",
            theme.warn(),
        ),
        Status::Pass | Status::Skip => (
            "✓ Nothing found that would stop this MID's next auto-upgrade.",
            theme.ok(),
        ),
    };
    let mut lines = vec![Line::raw("")];
    for row in text::wrap_indented(head, width, " ", "   ") {
        lines.push(Line::styled(row, style));
    }
    lines.push(Line::styled(
        format!(
            " {} pass, {} warn, {} fail, {} not applicable",
            r.summary.pass, r.summary.warn, r.summary.fail, r.summary.skip
        ),
        theme.dim(),
    ));
    lines.push(Line::raw(""));
    let mut order: Vec<_> = r.checks.iter().collect();
    order.sort_by_key(|c| std::cmp::Reverse(c.status));
    let pad = "          ";
    for c in order {
        let (word, st) = mark(c.status, theme);
        lines.push(Line::from(vec![
            Span::styled(format!(" {word} "), st),
            Span::raw(c.title),
        ]));
        let detail = matches!(c.status, Status::Fail | Status::Warn);
        if !detail {
            continue;
        }
        for row in text::wrap_indented(&c.message, width, pad, pad) {
            lines.push(Line::raw(row));
        }
        if let Some(e) = c.evidence.first() {
            let at = if e.file.as_os_str().is_empty() {
                e.text.clone()
            } else {
                format!("{}: {}", e.file.display(), e.text)
            };
            for row in text::wrap_indented(&at, width, pad, pad) {
                lines.push(Line::styled(row, theme.dim()));
            }
        }
        if !c.fix.is_empty() {
            for row in text::wrap_indented(&format!("Fix: {}", c.fix), width, pad, pad) {
                lines.push(Line::styled(row, theme.label()));
            }
        }
        for row in text::wrap_indented(&format!("Ref: {}", c.reference), width, pad, pad) {
            lines.push(Line::styled(row, theme.dim()));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " The same checks without the screen: midrescue preflight (--json for fleets).",
        theme.dim(),
    ));
    lines
}
