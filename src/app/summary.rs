//! The plain-text summary printed on the normal screen after the wizard closes, so that the
//! outcome and the paths stay in the terminal's scrollback.

use std::path::PathBuf;

use crate::mid::report::Verdict;
use crate::wizard::model::Ending;
use crate::wizard::{Model, Step};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub outcome: String,
    /// Whether the wizard ended the way the operator wanted (recovered, nothing to do).
    pub ok: bool,
    pub text: String,
}

pub struct Paths {
    pub journal: PathBuf,
    pub log_file: Option<PathBuf>,
    pub outputs: Vec<PathBuf>,
}

pub fn build(model: &Model, paths: &Paths) -> Summary {
    let (outcome, line, ok) = match &model.ending {
        Some(Ending::Recovered { .. }) => ("recovered", "the MID Server is Up.".to_string(), true),
        Some(Ending::Failed { reason, .. }) => (
            "failed",
            format!("{reason}. Do not start the MID service; send the bundle to support."),
            false,
        ),
        Some(Ending::NothingToRerun { verdict }) => (
            verdict.as_str(),
            format!(
                "nothing to re-run{}",
                if *verdict == Verdict::TempFolderLost {
                    "; follow the manual procedure KB0713557"
                } else {
                    ""
                }
            ),
            *verdict == Verdict::Healthy,
        ),
        Some(Ending::DryRun) => ("dry_run", "nothing was run.".to_string(), true),
        Some(Ending::NoInstall) => (
            "no_install",
            "no MID Server install was found; use --agent-dir.".to_string(),
            false,
        ),
        None if model.upgrade_started() => (
            "left_running",
            "you left while the upgrade runs; it keeps running. Check later with `midrescue detect`."
                .to_string(),
            false,
        ),
        None => (
            "quit",
            format!("stopped at step {} ({}); nothing was run.", model.step.number(), model.step.title()),
            false,
        ),
    };
    let mut t = format!("midrescue: {outcome}: {line}\n");
    if let Some(r) = model.report() {
        t.push_str(&format!(
            "  MID:            {} ({})\n",
            r.mid_name.as_deref().unwrap_or("?"),
            r.agent_dir.display()
        ));
    }
    if let Some(b) = model.collect.job.done() {
        t.push_str(&format!(
            "  bundle:         {} (sha256 {})\n",
            b.path.display(),
            b.sha256
        ));
    }
    if let Some(b) = model.final_collect.job.done() {
        t.push_str(&format!(
            "  final bundle:   {} (sha256 {})\n",
            b.path.display(),
            b.sha256
        ));
    }
    for o in &paths.outputs {
        t.push_str(&format!("  upgrade output: {}\n", o.display()));
    }
    if !model.journal.is_empty() {
        t.push_str(&format!("  journal:        {}\n", paths.journal.display()));
    }
    if let Some(l) = &paths.log_file {
        t.push_str(&format!("  log file:       {}\n", l.display()));
    }
    if model.step == Step::Watch && model.ending.is_none() {
        t.push_str("  Do not start the MID service while the upgrade runs.\n");
    }
    Summary {
        outcome: outcome.to_string(),
        ok,
        // Names and paths come from the disk: nothing but our line breaks may reach the
        // terminal as a control character.
        text: t
            .lines()
            .map(crate::sanitize::text)
            .map(|l| l + "\n")
            .collect(),
    }
}
