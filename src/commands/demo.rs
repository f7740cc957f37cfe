//! `midrescue demo`: build a lab scenario in a fresh folder under the temp dir, then run the
//! wizard on it in training mode (why panel open, Done tells what the scenario taught).

use std::path::Path;

use crate::cli::{DemoArgs, EXIT_FAILED};
use crate::lab::{self, CreateOptions};
use crate::ui::Theme;
use crate::wizard::model::Options;

use super::wizard::{Launch, host_name, launch_for_summary, require_tty};

pub fn run(args: &DemoArgs, log_path: Option<&Path>) -> anyhow::Result<u8> {
    if let Err(code) = require_tty() {
        return Ok(code);
    }
    let Some(scenario) = lab::scenario(&args.scenario) else {
        let names: Vec<&str> = lab::scenarios().iter().map(|s| s.name).collect();
        eprintln!(
            "midrescue demo: no scenario `{}`. Choose one of: {}",
            args.scenario,
            names.join(", ")
        );
        return Ok(EXIT_FAILED);
    };
    let summary = practise(
        &Practice {
            scenario,
            speed: args.speed,
            no_color: args.no_color,
            keep: args.keep,
            course: None,
        },
        log_path,
    )?;
    if summary.start_course {
        return super::course::run_default(args.speed, args.no_color, log_path);
    }
    Ok(if summary.ok {
        crate::cli::EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// One practice run: a fresh lab of `scenario`, the wizard on it in training mode, then the
/// lab's processes stopped and the lab removed (its outputs kept).
pub struct Practice {
    pub scenario: &'static lab::Scenario,
    pub speed: f64,
    pub no_color: bool,
    pub keep: bool,
    /// In a course: (hints on, the headline shown before the wizard opens).
    pub course: Option<(bool, String)>,
}

/// Build the lab, run the wizard on it, clean up; the wizard's summary (for the course's score).
pub fn practise(p: &Practice, log_path: Option<&Path>) -> anyhow::Result<crate::app::Summary> {
    let scenario = p.scenario;
    let dir = lab::demo_dir(scenario.name)?;
    let made = lab::create(
        scenario.name,
        &dir,
        &CreateOptions {
            speed: p.speed,
            ..CreateOptions::default()
        },
    )?;
    match &p.course {
        // A trainee in a course reads only the headline: the summary would give the answer away.
        Some((_, headline)) => super::say(&format!("{headline}\n")),
        None => super::say(&format!(
            "midrescue demo: lab `{}` built in {}\n  ({})\n",
            scenario.name,
            crate::sanitize::path(&made.root),
            scenario.summary
        )),
    }
    let opts = Options {
        training: true,
        scenario: Some(scenario.name.to_string()),
        training_text: Some(teaching(scenario.name, scenario.summary)),
        host: host_name(),
        // The classic mistake is offered only in a course, and only ever on a lab.
        lab_start: p.course.is_some(),
        course_entry: p.course.is_none(),
        no_hints: p.course.as_ref().is_some_and(|(hints, _)| !hints),
        ..Options::default()
    };
    // Bundles go beside the lab, outside its install and temp folder.
    let out = made.root.join(OUT);
    let summary = launch_for_summary(Launch {
        opts,
        installs: vec![made.agent_dir.clone()],
        out_dir: out,
        theme: Theme::from_env(p.no_color),
        log_path,
        // The lab's instance stand-in answers the read-only Up check with practice credentials,
        // over the one plain-HTTP exception: this lab's own loopback stand-in.
        instance: made.instance.as_ref().and_then(|i| {
            let url = i.url.clone()?;
            let creds = crate::platform::instance::Credentials::new(&i.user, &i.password)
                .allow_plain_http_to(&url);
            Some((Some(url), creds))
        }),
        limits: crate::recovery::Limits::default(),
        invocation: super::wizard::invocation(Some(&made.agent_dir)),
    });
    // The demo's simulated processes end with the demo; a real upgrade would run on.
    let root = crate::sanitize::path(&made.root);
    let said = match lab::stop(&made.root) {
        Err(e) => format!(
            "  could not stop the lab's processes ({e:#}): run `midrescue lab stop {root}`; the lab stays in {root}\n"
        ),
        Ok(_) if p.keep => format!("  lab processes stopped; the lab stays in {root}\n"),
        Ok(_) => match remove_lab_keeping_outputs(&made.root) {
            Ok(()) => format!(
                "  lab processes stopped and the lab removed; its bundles and journal stay in {}\n",
                crate::sanitize::path(&made.root.join(OUT))
            ),
            Err(e) => format!("  the lab could not be removed ({e}); it stays in {root}\n"),
        },
    };
    super::say(&said);
    summary
}

/// The demo's bundles and journal folder inside its lab.
const OUT: &str = "midrescue-out";

/// Remove a demo lab but what the trainee made (bundles, journal, upgrade output).
fn remove_lab_keeping_outputs(root: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(root)? {
        let e = e?;
        if e.file_name() == OUT {
            continue;
        }
        let t = e.file_type()?;
        if t.is_dir() {
            std::fs::remove_dir_all(e.path())?;
        } else {
            std::fs::remove_file(e.path())?;
        }
    }
    Ok(())
}

/// What the scenario teaches, for the Done screen: the "What to notice" section of its training
/// text (else "Why the recovery works"), one line per paragraph or list item, markdown emphasis
/// removed; the scenario's summary when the text has neither.
pub fn teaching(name: &str, summary: &str) -> String {
    let text = lab::training_text(name);
    let section = ["What to notice", "Why the recovery works"]
        .iter()
        .find_map(|h| markdown_section(text, h))
        .unwrap_or_default();
    if section.is_empty() {
        summary.to_string()
    } else {
        section.join("\n")
    }
}

/// The paragraphs and list items under `## heading`, each joined onto one line.
fn markdown_section(text: &str, heading: &str) -> Option<Vec<String>> {
    let mut lines = text
        .lines()
        .skip_while(|l| !(l.starts_with('#') && l.trim_start_matches('#').trim() == heading));
    lines.next()?;
    let mut items: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines.take_while(|l| !l.starts_with('#')) {
        let t = line.trim();
        let starts_item = t.starts_with("- ") || t.starts_with("* ");
        if (t.is_empty() || starts_item || line.starts_with("    ")) && !current.is_empty() {
            items.push(std::mem::take(&mut current));
        }
        if t.is_empty() {
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&t.replace("**", ""));
    }
    if !current.is_empty() {
        items.push(current);
    }
    Some(items).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teaching_keeps_each_point_on_its_own_line() {
        let t = teaching("file-lock-timeout", "summary");
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines.len() >= 3, "{t}");
        assert!(
            lines[0].starts_with("- Do not start the MID service"),
            "{t}"
        );
        assert!(
            !t.contains("**") && !t.contains("midrescue lab stop"),
            "{t}"
        );
    }

    #[test]
    fn every_scenario_has_something_to_teach() {
        for s in lab::scenarios() {
            let t = teaching(s.name, "");
            assert!(!t.trim().is_empty(), "{} teaches nothing", s.name);
        }
    }
}
