//! The plain-text summary printed on the normal screen after the wizard closes, so that the
//! outcome, what changed on the host and the paths stay in the terminal's scrollback.

use std::path::PathBuf;

use crate::mid::report::Verdict;
use crate::platform::service::StartType;
use crate::wizard::keymap::start_type_word;
use crate::wizard::model::{Ending, Job};
use crate::wizard::{Model, Step};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub outcome: String,
    /// Whether the wizard ended the way the operator wanted (recovered, nothing to do).
    pub ok: bool,
    pub text: String,
    /// What the operator did and how it ended, for a training course's score.
    pub attempt: crate::course::score::Attempt,
    /// The operator asked to go on to the training course (demo's `C`).
    pub start_course: bool,
}

pub struct Paths {
    pub journal: PathBuf,
    pub log_file: Option<PathBuf>,
    pub outputs: Vec<PathBuf>,
}

/// The outcome in plain words: a short word for the first line, the sentence after it, and
/// whether it is a success.
fn outcome(model: &Model) -> (&'static str, String, bool) {
    match &model.ending {
        Some(Ending::Recovered { rerun: true, .. }) => {
            ("recovered", "the MID Server is Up.".to_string(), true)
        }
        Some(Ending::Recovered { rerun: false, .. }) => (
            "up",
            "the upgrade that was already running finished; the MID Server is Up. Nothing was re-run."
                .to_string(),
            true,
        ),
        Some(Ending::Failed {
            reason, timed_out, ..
        }) => (
            if *timed_out { "not up in time" } else { "failed" },
            format!("{reason}. Do not start the MID service; send the bundle to ServiceNow support."),
            false,
        ),
        Some(Ending::NothingToRerun { verdict }) => (
            "nothing to re-run",
            format!(
                "{}{}",
                verdict.text().headline,
                if *verdict == Verdict::TempFolderLost {
                    " Follow the manual procedure KB0713557."
                } else {
                    ""
                }
            ),
            *verdict == Verdict::Healthy,
        ),
        Some(Ending::DryRun) => ("dry run", "nothing was run.".to_string(), true),
        Some(Ending::NoInstall) => (
            "no install found",
            "name it with --agent-dir <the MID's agent folder>, or practise with `midrescue demo`."
                .to_string(),
            false,
        ),
        None if model.upgrade_started() && model.opts.training => (
            "left the demo while the upgrade ran",
            "the lab's simulated upgrade stops with the demo.".to_string(),
            false,
        ),
        None if model.upgrade_started() => (
            "left while the upgrade runs",
            "the upgrade keeps running on its own.".to_string(),
            false,
        ),
        None => (
            "stopped",
            format!(
                "you left at step {} ({}); nothing was run.",
                model.step.number(),
                model.step.title()
            ),
            false,
        ),
    }
}

/// What midrescue changed or left behind on this host, in plain sentences.
fn host_changes(model: &Model) -> Vec<String> {
    let mut v = vec![];
    if let Some(st) = model.start_type.done() {
        let back = model
            .original_start_type
            .filter(|o| o != st)
            .unwrap_or(StartType::Auto);
        let report = model.report();
        let service = report
            .and_then(|r| r.service.name.clone())
            .unwrap_or_else(|| "<MID service>".into());
        let cmd = report.map(|r| {
            crate::recovery::policy::restore_start_type_command(r.platform, &service, back)
        });
        v.push(format!(
            "The MID service's start type was set to {}. Once the MID is Up, set it back to {}{}",
            start_type_word(*st),
            start_type_word(back),
            cmd.map(|c| format!(": {c}")).unwrap_or_else(|| ".".into())
        ));
    }
    if let Job::Done(mode) = &model.run.chmod {
        let script = model
            .run
            .chmod_target
            .as_deref()
            .map(crate::sanitize::path)
            .unwrap_or_else(|| "the upgrade script".into());
        v.push(format!(
            "The upgrade script was made executable (chmod +x, now {mode}): {script}"
        ));
    }
    if model.upgrade_started() && model.ending.is_none() && !model.opts.training {
        let pid = model
            .run
            .pid
            .map(|p| format!(" (pid {p})"))
            .unwrap_or_default();
        v.push(format!(
            "The upgrade keeps running{pid}: do not start the MID service while it runs. Check on it with: {}",
            model.opts.command("detect")
        ));
    }
    if let Some(root) = running_lab(model) {
        v.push(format!(
            "This install is a training lab and its processes keep running: stop them with `midrescue lab stop {}`",
            crate::sanitize::path(&root)
        ));
    }
    v
}

/// A lab (not the demo's, which stops its own) with processes still running.
fn running_lab(model: &Model) -> Option<PathBuf> {
    if model.opts.training {
        return None;
    }
    let root = crate::lab::find_lab_root(&model.report()?.agent_dir)?;
    let info = crate::lab::read_lab_info(&root).ok()?;
    let alive = [info.mid_pid, info.simulator_pid, info.instance_pid]
        .into_iter()
        .flatten()
        .chain(crate::lab::lock_holder::holder(&root))
        .any(|p| crate::lab::state::is_lab_process(p, &root));
    alive.then_some(root)
}

/// The course's view of this wizard run: its acts and its ending.
fn attempt(model: &Model) -> crate::course::score::Attempt {
    use crate::course::score::{Attempt, Outcome};
    let outcome = match &model.ending {
        Some(Ending::Recovered { .. }) => Outcome::Up,
        Some(Ending::Failed { timed_out, .. }) => Outcome::Failed {
            timed_out: *timed_out,
        },
        Some(Ending::NothingToRerun { verdict }) => Outcome::Stopped { verdict: *verdict },
        Some(Ending::DryRun | Ending::NoInstall) | None => Outcome::Left,
    };
    Attempt {
        started_at: model.started_at,
        ended_at: model.now,
        acts: model.acts.clone(),
        outcome,
        hints_on: model.opts.training && !model.opts.no_hints,
    }
}

pub fn build(model: &Model, paths: &Paths) -> Summary {
    let (word, line, ok) = outcome(model);
    let mut t = format!("midrescue: {word}: {line}\n");
    if let Some(r) = model.report() {
        t.push_str(&format!(
            "  MID:            {} ({})\n",
            r.mid_name.as_deref().unwrap_or("?"),
            crate::sanitize::path(&r.agent_dir)
        ));
    }
    let changes = host_changes(model);
    if !changes.is_empty() {
        t.push_str("  Changed on this host:\n");
        for c in changes {
            t.push_str(&format!("    - {c}\n"));
        }
    }
    if let Some(b) = model.collect.job.done() {
        t.push_str(&format!(
            "  bundle written: {} (sha256 {})\n",
            crate::sanitize::path(&b.path),
            b.sha256
        ));
    }
    if let Some(b) = model.final_collect.job.done() {
        t.push_str(&format!(
            "  final bundle:   {} (sha256 {})\n",
            crate::sanitize::path(&b.path),
            b.sha256
        ));
    }
    if let Some(p) = model.run.plan.done() {
        // The exact command, unbroken, to copy from the scrollback.
        t.push_str(&format!("  command:        {}\n", p.command));
        t.push_str(&format!(
            "  run in:         {}\n",
            crate::sanitize::path(&p.folder)
        ));
    }
    for o in &paths.outputs {
        t.push_str(&format!("  upgrade output: {}\n", crate::sanitize::path(o)));
    }
    if !model.journal.is_empty() {
        t.push_str(&format!(
            "  journal:        {}\n",
            crate::sanitize::path(&paths.journal)
        ));
    }
    if let Some(l) = &paths.log_file {
        t.push_str(&format!("  log file:       {}\n", crate::sanitize::path(l)));
    }
    if let Some(Ending::Failed {
        next_step: Some(n), ..
    }) = &model.ending
    {
        t.push_str(&format!("  next step:      {n}\n"));
    }
    if model.report().is_some() && !matches!(model.ending, Some(Ending::Recovered { .. })) {
        t.push_str(&format!(
            "  check again:    {}\n",
            model.opts.command("detect")
        ));
    }
    if model.step == Step::Watch && model.ending.is_none() && !model.opts.training {
        t.push_str("  Do not start the MID service while the upgrade runs.\n");
    }
    Summary {
        outcome: word.to_string(),
        ok,
        attempt: attempt(model),
        start_course: model.start_course,
        // Names and paths come from the disk: nothing but our line breaks may reach the
        // terminal as a control character.
        text: t
            .lines()
            .map(crate::sanitize::text)
            .map(|l| l + "\n")
            .collect(),
    }
}
