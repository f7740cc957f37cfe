//! `midrescue course`: the lab scenarios one after another in the wizard, each scored from what
//! the trainee did, then a score card and the trainer's report (Markdown and JSON).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::cli::{CourseArgs, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::course::{plan, report::Report, score};
use crate::ui::Theme;

use super::demo::{Practice, practise};
use super::wizard::require_tty;

pub fn run(args: &CourseArgs, log_path: Option<&Path>) -> anyhow::Result<u8> {
    let course = match &args.course {
        None => plan::default_course(),
        Some(f) => {
            let text = match std::fs::read_to_string(f) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!(
                        "midrescue course: cannot read {}: {e}",
                        crate::sanitize::path(f)
                    );
                    return Ok(EXIT_USAGE);
                }
            };
            match plan::parse(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!(
                        "midrescue course: {} is not a course file: {e:#}",
                        crate::sanitize::path(f)
                    );
                    return Ok(EXIT_USAGE);
                }
            }
        }
    };
    if let Err(code) = require_tty() {
        return Ok(code);
    }
    let report_path = match &args.report {
        Some(p) => p.clone(),
        None => default_report_path()?,
    };
    // Refused now, not after an hour of training: the report files are created fresh.
    for p in [report_path.clone(), json_path(&report_path)] {
        if std::fs::symlink_metadata(&p).is_ok() {
            eprintln!(
                "midrescue course: {} already exists: name a new report file with --report",
                crate::sanitize::path(&p)
            );
            return Ok(EXIT_USAGE);
        }
    }
    let mut rep = Report {
        title: course.title.clone(),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        hints_on: args.hints,
        scores: Vec::new(),
        not_attempted: Vec::new(),
    };
    let total = course.scenarios.len();
    let mut stopped = false;
    for (i, sc) in course.scenarios.iter().enumerate() {
        if stopped {
            rep.not_attempted.push(sc.name.to_string());
            continue;
        }
        let headline = format!(
            "midrescue course: scenario {} of {total}: `{}`{}",
            i + 1,
            sc.name,
            if args.hints {
                ""
            } else {
                " (hints off: `w` opens the why panel and counts as a hint)"
            }
        );
        let summary = practise(
            &Practice {
                scenario: sc,
                speed: args.speed,
                no_color: args.no_color,
                keep: false,
                course: Some((args.hints, headline)),
            },
            log_path,
        )?;
        let s = score::score(sc, &summary.attempt);
        super::say(&format!(
            "  scored: {} ({})\n",
            if s.passed { "PASS" } else { "FAIL" },
            crate::course::report::outcome_text(s.outcome)
        ));
        rep.scores.push(s);
        if i + 1 < total && !next_or_stop(course.scenarios[i + 1].name) {
            stopped = true;
        }
    }
    let report_path = match write_report(&report_path, &rep) {
        Ok(()) => report_path,
        // The trainee's work is not lost to a folder that vanished: the state folder takes it.
        Err(e) => {
            eprintln!("midrescue course: {e:#}; writing the report to the state folder instead");
            let fallback = default_report_path()?;
            write_report(&fallback, &rep)?;
            fallback
        }
    };
    if let Err(e) = crate::app::scorecard::show(&rep, &Theme::from_env(args.no_color)) {
        tracing::warn!("score card screen: {e:#}");
    }
    super::say(&format!(
        "midrescue course: passed {} of {total}; {} mistakes.\n  report: {}\n  json:   {}\n",
        rep.passed(),
        rep.mistakes(),
        crate::sanitize::path(&report_path),
        crate::sanitize::path(&json_path(&report_path))
    ));
    Ok(if rep.passed() == total {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The default course, as `C` on the first screen of `demo` or a lab's wizard starts it.
pub fn run_default(speed: f64, no_color: bool, log_path: Option<&Path>) -> anyhow::Result<u8> {
    run(
        &CourseArgs {
            course: None,
            hints: false,
            report: None,
            speed,
            no_color,
        },
        log_path,
    )
}

/// Between scenarios: Enter goes on, `q` (or end of input) stops the course.
fn next_or_stop(next: &str) -> bool {
    super::say(&format!(
        "Next: `{next}`. Press Enter to go on, or q then Enter to stop the course here: "
    ));
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => false,
        Ok(_) => !line.trim().eq_ignore_ascii_case("q"),
    }
}

/// `<state>/courses/course-<stamp>.md`.
fn default_report_path() -> anyhow::Result<PathBuf> {
    let dir = crate::platform::private_fs::own_state_dir()?.join("courses");
    crate::platform::private_fs::ensure_private_dir(&dir)?;
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    Ok(dir.join(format!("course-{stamp}.md")))
}

/// The JSON twin of a report file: `week1.md` → `week1.json`.
pub fn json_path(report: &Path) -> PathBuf {
    report.with_extension("json")
}

/// Both files, private and created fresh (never through a symlink).
fn write_report(path: &Path, rep: &Report) -> anyhow::Result<()> {
    use anyhow::Context;
    let json = json_path(path);
    if json == path {
        anyhow::bail!(
            "the report file {} must not end in .json: its JSON twin goes beside it",
            crate::sanitize::path(path)
        );
    }
    crate::platform::private_fs::write_private_file(path, rep.markdown().as_bytes())
        .with_context(|| format!("writing {}", crate::sanitize::path(path)))?;
    crate::platform::private_fs::write_private_file(&json, rep.json().as_bytes())
        .with_context(|| format!("writing {}", crate::sanitize::path(&json)))?;
    Ok(())
}
