//! Detect: live while it runs; then the verdict in plain words, the facts and the findings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::mid::report::{DetectReport, LibState, Severity, TempDirSource, Verdict};
use crate::platform::service::ServiceState;
use crate::wizard::Model;
use crate::wizard::Step;
use crate::wizard::keymap::{self, Action, start_type_word};
use crate::wizard::model::{Ending, Job};

use super::super::Theme;
use super::super::text::{self, kv, kv_styled};
use super::panel;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

/// Returns how far the body can scroll.
pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) -> u16 {
    let lines = match &model.detect {
        Job::Idle | Job::Running(_) => running(model, theme),
        Job::Failed(e) => vec![
            Line::raw(""),
            Line::styled(format!(" ✗ Detect failed: {e}"), theme.error()),
            Line::raw(""),
            Line::raw(format!(
                " Nothing was changed. Press {} to try again, {} to quit.",
                keymap::step_key(Step::Detect, Action::Retry),
                keymap::step_key(Step::Detect, Action::Quit)
            )),
        ],
        Job::Done(report) => verdict_lines(report, usize::from(area.width), theme),
    };
    let lines = if matches!(model.ending, Some(Ending::NoInstall)) {
        no_install(usize::from(area.width), theme)
    } else {
        lines
    };
    // Facts are wrapped, never cut: the screen scrolls (↑/↓) and says when more is below.
    super::scrolled_panel(
        frame,
        area,
        lines,
        "Detect · read-only",
        model.detect_scroll,
        theme,
    )
}

/// `label  value`, the value wrapped under itself (a fact is never cut).
fn kv_wrapped<'a>(
    label: &str,
    value: &str,
    width: usize,
    w: usize,
    style: ratatui::style::Style,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let pad = " ".repeat(w + 1);
    text::wrap_indented(value, width.saturating_sub(2), &pad, &pad)
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let body = row.get(pad.len()..).unwrap_or("").to_string();
            let head = if i == 0 {
                format!("{label:<w$} ")
            } else {
                pad.clone()
            };
            Line::from(vec![
                Span::styled(head, theme.label()),
                Span::styled(body, style),
            ])
        })
        .collect()
}

fn running<'a>(model: &Model, theme: &Theme) -> Vec<Line<'a>> {
    let spin = SPINNER[usize::try_from(model.elapsed_secs()).unwrap_or(0) % SPINNER.len()];
    let dir = model
        .agent_dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    vec![
        Line::raw(""),
        Line::styled(
            format!(" {spin} Looking at the MID install…"),
            theme.title(),
        ),
        Line::raw(format!("   {dir}")),
        Line::raw(""),
        Line::raw(" Reading config.xml, the wrapper confs, versions, the logs (newest first),"),
        Line::raw(" the upgrade temp folder and the service state. Nothing is changed."),
    ]
}

/// The verdict in plain words (from `mid::advice`, the words the CLI uses too), with its marker.
pub fn verdict_words(v: Verdict) -> (String, &'static str) {
    let mark = match v {
        Verdict::Healthy => "✓",
        Verdict::UpgradeInProgress => "…",
        Verdict::Stopped => "!",
        _ => "✗",
    };
    let t = v.text();
    (format!("{mark} {}", t.headline), t.subline)
}

fn verdict_style(v: Verdict, theme: &Theme) -> ratatui::style::Style {
    match v {
        Verdict::Healthy => theme.ok(),
        Verdict::UpgradeInProgress | Verdict::Stopped => theme.warn(),
        _ => theme.error(),
    }
}

fn verdict_lines<'a>(r: &DetectReport, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let (head, sub) = verdict_words(r.verdict);
    let w = 13;
    let val = width.saturating_sub(w + 4);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {head}"), verdict_style(r.verdict, theme)),
        Span::styled(format!("  ({})", r.verdict.as_str()), theme.dim()),
    ])];
    lines.extend(
        text::wrap_indented(sub, width.saturating_sub(2), " ", " ")
            .into_iter()
            .map(Line::raw),
    );
    lines.push(Line::raw(""));
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "unknown".into());
    lines.push(kv(
        " Install",
        text::ellipsize_left(&r.agent_dir.display().to_string(), val),
        theme,
        w,
    ));
    lines.extend(kv_wrapped(
        " Versions",
        &format!(
            "{} → {}",
            opt(&r.installed_version),
            r.target_version.clone().unwrap_or_else(|| "none".into())
        ),
        width,
        w,
        theme.base(),
        theme,
    ));
    let svc = &r.service;
    let state = match svc.state {
        ServiceState::Running => "running",
        ServiceState::Pending => "starting/stopping",
        ServiceState::Stopped => "stopped",
        ServiceState::NotInstalled => "not installed",
        ServiceState::Unknown => "unknown",
    };
    let start = svc.start_type.map_or("unknown", start_type_word);
    lines.push(kv(
        " Service",
        text::ellipsize(
            &format!("{} · {state} · starts {start}", opt(&svc.name)),
            val,
        ),
        theme,
        w,
    ));
    match &r.upgrade {
        Some(u) => {
            let how = match u.temp_dir_source {
                Some(TempDirSource::Marker) => "found by the marker line",
                Some(TempDirSource::Scan) => "found by scanning",
                None => "",
            };
            let temp = u.temp_dir.as_ref().map_or_else(
                || "GONE".to_string(),
                |p| {
                    text::ellipsize_left(
                        &p.display().to_string(),
                        val.saturating_sub(how.len() + 3),
                    )
                },
            );
            lines.push(kv(" Temp folder", format!("{temp} ({how})"), theme, w));
            let runnable = u.script_exists && u.script_executable != Some(false);
            let script = match (&u.script, u.script_exists) {
                (Some(p), true) => {
                    let name = p.file_name().map(|n| n.to_string_lossy().to_string());
                    let state = if runnable {
                        "present"
                    } else {
                        "present, NOT executable (Run offers chmod +x)"
                    };
                    format!("{} {state}", name.unwrap_or_default())
                }
                _ => "missing".into(),
            };
            let script_style = if runnable {
                theme.base()
            } else {
                theme.error()
            };
            lines.push(kv_styled(" Script", script, script_style, theme, w));
        }
        None => lines.push(kv(" Upgrade", "none found", theme, w)),
    }
    let lib = match r.lib {
        LibState::Intact => ("✓ intact", theme.ok()),
        LibState::Partial => ("! partly replaced", theme.warn()),
        LibState::Missing => ("✗ missing", theme.error()),
    };
    lines.push(kv_styled(" agent/lib", lib.0, lib.1, theme, w));
    if !r.findings.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(" Findings", theme.title()));
    }
    for f in &r.findings {
        let (mark, style) = match f.severity {
            Severity::Error => ("✗ ERROR", theme.error()),
            Severity::Warning => ("! WARN ", theme.warn()),
            Severity::Info => ("i INFO ", theme.dim()),
        };
        // The whole finding, wrapped under its mark; `midrescue detect` and the bundle say the same.
        for (i, row) in text::wrap_indented(
            &crate::sanitize::text(&f.message),
            width.saturating_sub(2),
            "         ",
            "         ",
        )
        .into_iter()
        .enumerate()
        {
            let body = row.get(9..).unwrap_or("").to_string();
            let head = if i == 0 {
                Span::styled(format!(" {mark} "), style)
            } else {
                Span::raw("         ")
            };
            lines.push(Line::from(vec![head, Span::raw(body)]));
        }
        for e in f.evidence.iter().take(1) {
            let name = e
                .file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let ev = crate::sanitize::line(&e.text);
            // Line 0 means the evidence is a fact, not a line of a file.
            let place = match (name.is_empty(), e.line) {
                (true, _) => String::new(),
                (false, 0) => format!("{name}: "),
                (false, n) => format!("{name}:{n} "),
            };
            lines.extend(
                text::wrap_indented(
                    &format!("{place}{ev}"),
                    width.saturating_sub(2),
                    "     ",
                    "       ",
                )
                .into_iter()
                .map(|l| Line::styled(l, theme.dim())),
            );
        }
    }
    lines
}

/// Several installs: pick one.
pub fn picker(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let Some(p) = &model.picker else { return };
    let mut lines = vec![
        Line::raw(""),
        Line::raw(format!(
            " {} MID Server installs were found. Which one needs rescuing?",
            p.installs.len()
        )),
        Line::raw(""),
    ];
    for (i, dir) in p.installs.iter().enumerate() {
        let text = format!(" {}", dir.display());
        if i == p.selected {
            lines.push(Line::styled(format!(" ▶{text} "), theme.focus()));
        } else {
            lines.push(Line::raw(format!("  {text}")));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Detect only reads: nothing is changed on any of them.",
        theme.dim(),
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel("Detect · choose an install", theme)),
        area,
    );
}

/// Nothing found: where midrescue looked, and the two ways on (name it, or practise).
fn no_install<'a>(width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let inner = width.saturating_sub(2);
    let platform = crate::platform::Platform::host();
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
            " ✗ No MID Server install was found on this host.",
            theme.error(),
        ),
        Line::raw(""),
        Line::styled(" Looked in:", theme.label()),
    ];
    for place in crate::mid::advice::search_places(platform) {
        lines.extend(
            text::wrap_indented(place, inner, "   · ", "     ")
                .into_iter()
                .map(Line::raw),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" Name the install:", theme.label()));
    lines.push(Line::styled(
        "   midrescue --agent-dir <the MID's agent folder>",
        theme.title(),
    ));
    lines.push(Line::styled(" Or practise on a safe lab:", theme.label()));
    lines.push(Line::styled("   midrescue demo", theme.title()));
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(
        " Nothing was changed. Press {} to leave.",
        keymap::step_key(Step::Detect, Action::Quit)
    )));
    lines
}
