//! Done: recovered or failed with evidence, the honest endings, the next step, the bundle, the
//! final bundle offer, and in training what the scenario taught.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::mid::report::Verdict;
use crate::wizard::Model;
use crate::wizard::Step;
use crate::wizard::keymap::{self, Action};
use crate::wizard::model::{Ending, Job};

use super::super::Theme;
use super::super::text;
use super::collect::bundle_lines;
use super::detect::verdict_words;

/// Returns how far the body can scroll.
pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) -> u16 {
    let width = usize::from(area.width);
    let mut lines = vec![Line::raw("")];
    match &model.ending {
        Some(Ending::Recovered {
            at,
            evidence,
            rerun,
            fallback,
        }) => {
            // Only a run we started is a recovery; an upgrade that was already running and
            // finished is said as such.
            let head = match (rerun, fallback) {
                (true, true) => format!(
                    " ✓ RECOVERED: the MID Server is Up ({} UTC), via the wrapper fallback.",
                    text::clock(*at)
                ),
                (true, false) => format!(
                    " ✓ RECOVERED: the MID Server is Up ({} UTC).",
                    text::clock(*at)
                ),
                (false, _) => format!(
                    " ✓ UP: the upgrade that was already running finished ({} UTC). Nothing was re-run.",
                    text::clock(*at)
                ),
            };
            lines.push(Line::styled(head, theme.ok()));
            // One wrapped line: every milestone was reached, the list is a receipt.
            if !evidence.is_empty() {
                lines.push(Line::styled(
                    format!("   ✓ {}", evidence.join(" · ")),
                    theme.dim(),
                ));
            }
            next(
                &mut lines,
                width,
                "Check it in the instance (MID Server > Servers: Up, Validated).",
            );
            if model.start_type.done().is_some() {
                next(
                    &mut lines,
                    width,
                    "Set the MID service's start type back to Automatic.",
                );
            }
        }
        Some(Ending::Failed {
            reason,
            evidence,
            next_step,
            timed_out,
            rerun,
            ..
        }) => {
            // After a re-run, say it was not the first failure: the advice changes with that.
            let word = match (*timed_out, model.reruns) {
                (true, 0) => "NOT UP IN TIME".to_string(),
                (false, 0) => "FAILED".to_string(),
                (true, n) => format!("NOT UP IN TIME AGAIN (re-run {n})"),
                (false, n) => format!("FAILED AGAIN (re-run {n})"),
            };
            lines.extend(
                text::wrap_indented(
                    &format!("✗ {word}: {reason}"),
                    width.saturating_sub(2),
                    " ",
                    "   ",
                )
                .into_iter()
                .map(|l| Line::styled(l, theme.error())),
            );
            // What to do comes before the evidence: on a small screen it must not scroll away.
            let r = keymap::step_key(Step::Done, Action::Rerun);
            if model.reruns > 0 && rerun.is_ok() {
                next(
                    &mut lines,
                    width,
                    "The re-run failed too. Re-run once more only if you fixed the cause below; \
otherwise the manual upgrade (KB0713557) is next, with the final bundle for ServiceNow support.",
                );
            }
            match rerun {
                Ok(()) => next(
                    &mut lines,
                    width,
                    &format!(
                        "Fix the cause below, then press {r} to re-run (a fresh plan; Run asks again)."
                    ),
                ),
                Err(why) => next(&mut lines, width, &format!("No re-run from here: {why}.")),
            }
            if let Some(n) = next_step {
                next(&mut lines, width, n);
            }
            next(
                &mut lines,
                width,
                &format!(
                    "Do NOT start the MID service. Press {} for the final bundle for ServiceNow support.",
                    keymap::step_key(Step::Done, Action::CollectFinal)
                ),
            );
            if !evidence.is_empty() {
                lines.push(Line::styled(" Evidence:", theme.label()));
                evidence_lines(&mut lines, evidence, width, theme);
            }
        }
        Some(Ending::NothingToRerun { verdict }) => {
            let (head, sub) = verdict_words(*verdict);
            let style = if *verdict == Verdict::Healthy {
                theme.ok()
            } else {
                theme.warn()
            };
            lines.push(Line::styled(format!(" {head} Nothing to re-run."), style));
            lines.extend(
                text::wrap_indented(sub, width.saturating_sub(2), " ", " ")
                    .into_iter()
                    .map(Line::raw),
            );
            match verdict {
                Verdict::TempFolderLost => {
                    if model.collect.job.done().is_some() {
                        next(
                            &mut lines,
                            width,
                            "The bundle below holds the logs support needs: attach it to the case.",
                        );
                    }
                    next(
                        &mut lines,
                        width,
                        "Do NOT start the MID service. Manual restore (KB0713557):",
                    );
                    for s in [
                        "back up config.xml, wrapper-override.conf and jre/lib/security/cacerts;",
                        "rename agent to agent_old-do_not_run; extract a fresh MID ZIP;",
                        "restore the settings; start; wait for Up; validate the MID again.",
                    ] {
                        lines.push(Line::raw(format!("     {s}")));
                    }
                }
                Verdict::Healthy => next(
                    &mut lines,
                    width,
                    "Nothing to do. A bundle is still available.",
                ),
                _ => next(
                    &mut lines,
                    width,
                    &format!(
                        "Save the logs ({}) before changing anything.",
                        keymap::step_key(Step::Done, Action::CollectFinal)
                    ),
                ),
            }
        }
        Some(Ending::DryRun) => {
            lines.push(Line::styled(" DRY RUN: nothing ran.", theme.warn()));
            if let Some(p) = model.run.plan.done() {
                lines.push(Line::raw(" This is what would have run:"));
                lines.push(Line::raw(format!(
                    "   cd {}",
                    text::ellipsize_left(&p.folder.display().to_string(), width.saturating_sub(10))
                )));
                lines.push(Line::raw(format!("   {}", p.command)));
            }
        }
        Some(Ending::NoInstall) => {
            lines.push(Line::styled(
                " ✗ No MID Server install was found.",
                theme.error(),
            ));
            next(
                &mut lines,
                width,
                "Name it: midrescue --agent-dir <the MID's agent folder>",
            );
        }
        None => lines.push(Line::raw(" …")),
    }

    lines.push(Line::raw(""));
    if let Some(b) = model.collect.job.done() {
        lines.push(Line::from(vec![
            Span::styled(" Bundle: ", theme.label()),
            Span::raw(text::ellipsize_left(
                &b.path.display().to_string(),
                width.saturating_sub(14),
            )),
        ]));
    }
    match &model.final_collect.job {
        Job::Idle => {
            if !matches!(model.ending, Some(Ending::NoInstall)) {
                lines.push(Line::from(vec![
                    Span::raw(" Press "),
                    Span::styled(
                        keymap::step_key(Step::Done, Action::CollectFinal),
                        theme.key(),
                    ),
                    Span::raw(if model.upgrade_started() {
                        " for a final bundle with the re-run's output and the journal."
                    } else {
                        " for a final bundle of the logs as they are now, with the journal."
                    }),
                ]));
            }
        }
        _ => lines.extend(bundle_lines(&model.final_collect, width, theme)),
    }
    if let crate::wizard::model::Job::Done(lost) = &model.lab_start {
        // The classic mistake, made in the lab: what it cost and what is left.
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            " You started the MID service (lab only). On a real MID:",
            theme.error(),
        ));
        for l in [
            format!("   {lost}."),
            "   glide-dist-upgrade.log, the record of why the upgrade died, is gone with it."
                .to_string(),
            "   A re-run is no longer possible: what is left is the manual restore (KB0713557)"
                .to_string(),
            "   or a reinstall.".to_string(),
        ] {
            lines.extend(text::markdown_lines(&l, width.saturating_sub(2), theme));
        }
    }
    if model.opts.training
        && let Some(t) = &model.opts.training_text
    {
        lines.push(Line::raw(""));
        let name = model.opts.scenario.as_deref().unwrap_or("this scenario");
        lines.push(Line::styled(
            format!(" What `{name}` taught:"),
            theme.title(),
        ));
        // The lesson's Markdown rendered (code spans, emphasis), wrapped under its bullet.
        for l in t.lines().filter(|l| !l.trim().is_empty()) {
            lines.extend(text::markdown_lines(l, width.saturating_sub(2), theme));
        }
    }
    // Small terminals: the operator scrolls (↑/↓); say so when something is below.
    super::scrolled_panel(frame, area, lines, "Done", model.done_scroll, theme)
}

fn evidence_lines<'a>(lines: &mut Vec<Line<'a>>, ev: &[String], width: usize, theme: &Theme) {
    let inner = width.saturating_sub(2);
    for e in ev.iter().take(9) {
        // Evidence wraps, indented (up to three rows each): it is what support will ask for.
        let rows = text::wrap_indented(e, inner, "   · ", "     ");
        let cut = rows.len() > 3;
        for (i, row) in rows.into_iter().take(3).enumerate() {
            let row = if cut && i == 2 {
                text::ellipsize(&format!("{row} …"), inner)
            } else {
                row
            };
            lines.push(Line::styled(row, theme.dim()));
        }
    }
}

/// A next step, wrapped so that its continuation lines stay indented under the text.
fn next(lines: &mut Vec<Line<'_>>, width: usize, s: &str) {
    let inner = width.saturating_sub(2);
    lines.extend(
        super::super::text::wrap_indented(s, inner, " → ", "   ")
            .into_iter()
            .map(Line::raw),
    );
}
