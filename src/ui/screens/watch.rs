//! Watch: the milestone timeline, the Up signals, stall warnings and the three live log panes
//! (side by side when wide, tabs at 80 columns).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::mid::milestones::Milestone;
use crate::platform::service::ServiceState;
use crate::wizard::Model;
use crate::wizard::msg::RunOutcome;
use crate::wizard::pane::LogPane;

use super::super::text::{self, DONE, PENDING, WARN};
use super::super::{Theme, WIDE};
use super::panel;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let top_h = u16::try_from(model.timeline.len() + extra_rows(model).len()).unwrap_or(9) + 2;
    let [top, logs] = Layout::vertical([Constraint::Length(top_h), Constraint::Min(3)]).areas(area);
    let [tl, sig] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    timeline(frame, tl, model, theme);
    signals(frame, sig, model, theme);
    panes(frame, logs, model, theme);
}

/// Rows the timeline adds to its milestones: the fallback, if it ran, and live lock retries.
fn extra_rows(model: &Model) -> Vec<(String, bool)> {
    let mut rows = vec![];
    if model.run.fallback && model.upgrade_started() {
        rows.push(("wrapper fallback used (KB0779816)".to_string(), false));
    }
    if let Some((count, file)) = &model.lock_retries {
        rows.push((format!("{file} locked, retry {count}"), true));
    }
    rows
}

fn timeline(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let mut lines: Vec<Line> = model
        .timeline
        .iter()
        .map(|row| match row.reached_at {
            Some(t) => Line::from(vec![
                Span::styled(format!(" {DONE} "), theme.ok()),
                Span::raw(format!("{} ", text::clock(t))),
                Span::raw(row.id.label()),
            ]),
            None => Line::from(vec![
                Span::styled(format!(" {PENDING} "), theme.dim()),
                Span::styled("waiting  ", theme.dim()),
                Span::styled(row.id.label(), theme.dim()),
            ]),
        })
        .collect();
    for (text, warn) in extra_rows(model) {
        let style = if warn { theme.warn() } else { theme.base() };
        lines.push(Line::from(vec![
            Span::styled(format!(" {WARN} "), style),
            Span::styled(text, style),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(panel("Timeline (UTC)", theme)),
        area,
    );
}

fn reached(model: &Model, id: Milestone) -> bool {
    model
        .timeline
        .iter()
        .any(|r| r.id == id && r.reached_at.is_some())
}

fn signals(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let mark = |ok: bool| {
        if ok {
            Span::styled(format!(" {DONE} "), theme.ok())
        } else {
            Span::styled(format!(" {PENDING} "), theme.dim())
        }
    };
    let service = match model.service {
        _ if reached(model, Milestone::ServiceStarted) => "running",
        Some(ServiceState::Running) => "running",
        Some(ServiceState::Stopped) => "stopped (for now)",
        Some(ServiceState::Pending) => "starting",
        Some(ServiceState::NotInstalled) => "not installed",
        Some(ServiceState::Unknown) | None => "unknown yet",
    };
    let mut lines = vec![Line::from(vec![
        mark(
            model.service == Some(ServiceState::Running)
                || reached(model, Milestone::ServiceStarted),
        ),
        Span::raw(format!("Service: {service}")),
    ])];
    for (id, label) in [
        (Milestone::MidStarted, "MID Server started"),
        (Milestone::Connected, "Connected to the instance"),
        (Milestone::VersionIsTarget, "New version running"),
    ] {
        lines.push(Line::from(vec![mark(reached(model, id)), Span::raw(label)]));
    }
    if model.opts.instance_check {
        let inst = match &model.instance {
            Some(Ok(s)) => format!("Instance: {}", s.status),
            Some(Err(e)) => format!("Instance: cannot ask ({e})"),
            None => "Instance: not asked yet".into(),
        };
        let up = matches!(&model.instance, Some(Ok(s)) if s.up);
        lines.push(Line::from(vec![mark(up), Span::raw(inst)]));
    }
    if let Some((count, _)) = &model.lock_retries {
        lines.push(Line::from(vec![
            Span::styled(format!(" {WARN} "), theme.warn()),
            Span::raw(format!("Lock retries: {count} (not fatal yet)")),
        ]));
    }
    if let Some((since, quiet)) = model.stall {
        lines.push(Line::from(vec![
            Span::styled(format!(" {WARN} STALLED "), theme.warn()),
            Span::raw(format!(
                "quiet {} min since {}",
                quiet / 60,
                text::clock(since)
            )),
        ]));
        lines.push(Line::raw("   Antivirus? Disk? Do NOT start it."));
    } else {
        let run = match (&model.run.exited, model.run.started_at) {
            (Some(RunOutcome::Exited { code }), _) => format!(
                "Script exited {}; upgrade goes on",
                code.map_or("(signal)".into(), |c| c.to_string())
            ),
            (_, Some(t)) => format!(
                "Running for {}",
                text::duration((model.now - t).num_seconds())
            ),
            _ => "Following the logs".into(),
        };
        lines.push(Line::styled(format!("   {run}"), theme.dim()));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel("Up signals (Up when all ✓)", theme)),
        area,
    );
}

fn panes(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    if area.width >= WIDE {
        let cols = Layout::horizontal([
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
        ])
        .split(area);
        for (i, pane) in model.panes.iter().enumerate() {
            draw_pane(frame, cols[i], pane, i == model.focused_pane, theme);
        }
    } else {
        let [tabs, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(2)]).areas(area);
        let mut spans = vec![Span::raw(" ")];
        for (i, pane) in model.panes.iter().enumerate() {
            let name = format!(" {}{} ", pane.source.file_name(), count_badge(pane));
            if i == model.focused_pane {
                spans.push(Span::styled(format!("▶{name}"), theme.focus()));
            } else {
                spans.push(Span::styled(format!(" {name}"), theme.label()));
            }
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
        let pane = &model.panes[model.focused_pane.min(model.panes.len() - 1)];
        draw_pane(frame, body, pane, true, theme);
    }
}

fn count_badge(pane: &LogPane) -> String {
    if pane.is_empty() {
        String::new()
    } else {
        format!(" ({})", pane.len() as u64 + pane.dropped)
    }
}

fn draw_pane(frame: &mut Frame, area: Rect, pane: &LogPane, focused: bool, theme: &Theme) {
    let mode = if pane.follow {
        "following".to_string()
    } else {
        format!("paused ↑{} · End resumes", pane.scroll_back)
    };
    let marker = if focused { "▶ " } else { "" };
    let title = format!(" {marker}{} · {mode} ", pane.source.file_name());
    let block = Block::bordered()
        .border_style(if focused {
            theme.border_focus()
        } else {
            theme.border()
        })
        .title(Line::styled(title, theme.title()));
    let inner_h = usize::from(area.height.saturating_sub(2));
    let inner_w = usize::from(area.width.saturating_sub(2));
    let compact = inner_w < COMPACT_BELOW;
    let mut lines: Vec<Line> = pane
        .visible(inner_h)
        .map(|l| {
            let shown = if compact {
                compact_line(l)
            } else {
                std::borrow::Cow::Borrowed(l)
            };
            Line::raw(text::ellipsize(&shown, inner_w))
        })
        .collect();
    if lines.is_empty() {
        let msg = pane
            .note
            .clone()
            .unwrap_or_else(|| "waiting for the first line…".into());
        lines.push(Line::styled(msg, theme.dim()));
    } else if let Some(note) = &pane.note {
        lines.push(Line::styled(format!("! {note}"), theme.warn()));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Panes narrower than this show log lines without their date and padding columns, so that
/// the message, not the prefix, is what fits (the files and the bundle keep the full lines).
const COMPACT_BELOW: usize = 100;

/// `16:30:47 SEVERE: ...` for a line in a known MID format; the line itself otherwise.
fn compact_line(line: &str) -> std::borrow::Cow<'_, str> {
    use crate::mid::logline::{self, LineFormat};
    let Some(l) = logline::parse(line) else {
        return std::borrow::Cow::Borrowed(line);
    };
    let time = l.time.format("%H:%M:%S");
    // INFO is the common case and says nothing; other levels matter unless the message repeats them.
    let level = l
        .level
        .filter(|v| !v.eq_ignore_ascii_case("INFO") && !l.message.starts_with(*v))
        .map(|v| format!("{v} "))
        .unwrap_or_default();
    let thread = match (l.format, l.thread) {
        (LineFormat::AgentLegacy | LineFormat::AgentIso, Some(t)) => format!("{t} "),
        _ => String::new(),
    };
    std::borrow::Cow::Owned(format!("{time} {level}{thread}{}", l.message))
}

#[cfg(test)]
mod tests {
    use super::compact_line;

    #[test]
    fn compact_lines_keep_time_level_and_message() {
        assert_eq!(
            compact_line(
                "INFO   | jvm 1    | 2019/09/21 16:30:47.130 | INFO: Removing previous MID JRE at `C:\\ServiceNow\\agent\\jre`."
            ),
            "16:30:47 INFO: Removing previous MID JRE at `C:\\ServiceNow\\agent\\jre`."
        );
        assert_eq!(
            compact_line(
                "2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server"
            ),
            "13:08:58 MIDServer Initializing MID Server"
        );
        assert_eq!(
            compact_line(
                "10/22/18 17:56:13 (898) AutoUpgrade.3600 SEVERE *** ERROR *** Upgrade failed."
            ),
            "17:56:13 AutoUpgrade.3600 SEVERE *** ERROR *** Upgrade failed."
        );
        assert_eq!(
            compact_line("2019/12/15 00:33:17 | Machine is shutting down."),
            "00:33:17 Machine is shutting down."
        );
        assert_eq!(compact_line("free text"), "free text");
    }
}
