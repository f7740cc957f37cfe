//! `midrescue resume`: the recovery without the full screen. A thin face over the engine
//! (`recovery`): it asks, prints the engine's events as lines and the result as JSON, and
//! decides nothing the wizard would decide differently.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::cli::{EXIT_FAILED, EXIT_OK, ResumeArgs};
use crate::mid::milestones::Milestone;
use crate::mid::outcome::RecoveryOutcome;
use crate::mid::report::Verdict;
use crate::platform::service::StartType;
use crate::recovery::instance::InstanceCheck;
use crate::recovery::plan::make_plan;
use crate::recovery::policy::{self, Refusal};
use crate::recovery::session::SessionParts;
use crate::recovery::support::{AfterRun, BundleRequest, build_bundle};
use crate::recovery::{
    Cadence, Clock, Decision, Face, Install, InstanceProbe, RecoveryEvent, RunKind, RunPlan,
    Session, SystemClock, SystemLauncher, drive,
};
use crate::sanitize;

/// Version of `resume --json`.
pub const RESUME_SCHEMA: u32 = 2;

/// The operator: questions and progress lines. The CLI talks to a terminal; tests script it.
pub trait Operator {
    /// Ask a yes/no question; `false` unless clearly answered yes.
    fn confirm(&mut self, question: &str) -> bool;
    /// One line of progress for the human.
    fn say(&mut self, line: &str);
    /// Ask for a typed word (`--yes` does not answer this one); `false` unless typed exactly.
    fn confirm_typed(&mut self, question: &str, word: &str) -> bool {
        let _ = (question, word);
        false
    }
}

/// Everything the recovery needs, already found out (detect ran, the first bundle was written).
pub struct Recovery {
    pub install: Arc<Install>,
    /// The engine's session settings; `session.out_dir` gets the bundles and the output.
    /// `session.keep_upgrade_log` also decides the final bundle (off in tests that only look
    /// at the run).
    pub session: SessionParts,
    pub bundle: Option<PathBuf>,
    pub yes: bool,
    pub manual_start: bool,
}

/// The result object (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct ResumeResult {
    pub schema_version: u32,
    pub outcome: RecoveryOutcome,
    pub verdict: Option<Verdict>,
    pub reason: Option<String>,
    pub evidence: Vec<String>,
    pub bundle: Option<PathBuf>,
    pub final_bundle: Option<PathBuf>,
    /// The file holding the started process's stdout and stderr (the last one started).
    pub output_file: Option<PathBuf>,
    pub command: Option<String>,
    pub fallback_used: bool,
    pub milestones: Vec<Milestone>,
    pub lock_retries: u32,
    pub root_owned_fix: Option<String>,
    pub next_step: Option<String>,
}

impl ResumeResult {
    fn new(outcome: RecoveryOutcome, verdict: Option<Verdict>) -> Self {
        ResumeResult {
            schema_version: RESUME_SCHEMA,
            outcome,
            verdict,
            reason: None,
            evidence: Vec::new(),
            bundle: None,
            final_bundle: None,
            output_file: None,
            command: None,
            fallback_used: false,
            milestones: Vec::new(),
            lock_retries: 0,
            root_owned_fix: None,
            next_step: None,
        }
    }

    fn refused(verdict: Option<Verdict>, r: Refusal) -> Self {
        let mut out = Self::new(RecoveryOutcome::Refused, verdict);
        out.reason = Some(r.reason);
        out.next_step = r.next_step;
        out
    }

    pub fn exit_code(&self) -> u8 {
        if self.outcome.is_success() {
            EXIT_OK
        } else {
            EXIT_FAILED
        }
    }
}

/// Print the plan: what runs, from where, as whom. Every path goes through the sanitiser, so a
/// folder name cannot rewrite the line the operator reads before confirming.
pub fn describe_plan(plan: &RunPlan, op: &mut dyn Operator) {
    let what = match plan.kind {
        RunKind::Script => "re-run the upgrade script",
        RunKind::WrapperFallback => "run the upgrade wrapper directly (fallback)",
    };
    op.say(&format!("Plan: {what}"));
    op.say(&format!(
        "  KB0779816:  in {}",
        sanitize::path(&plan.kb_folder)
    ));
    op.say(&format!(
        "              {}",
        sanitize::text(&plan.kb_command)
    ));
    op.say(&format!(
        "  runs:       {}",
        sanitize::text(&plan.spec.display())
    ));
    if let Some(cwd) = &plan.spec.cwd {
        op.say(&format!(
            "  from:       {} (outside the install: the script finds its own folder)",
            sanitize::path(cwd)
        ));
    }
    if plan.simulated {
        op.say(&format!(
            "  real host:  {}",
            sanitize::text(&plan.real.display())
        ));
        op.say("  (a training lab: the lab's simulated upgrade runs instead of the real command)");
    }
    op.say(&format!("  as user:    {}", sanitize::text(&plan.user)));
    if let Some(why) = &plan.needs_root {
        op.say(&format!("  needs root: {}", sanitize::text(why)));
    }
    op.say(&format!("  output to:  {}", sanitize::path(&plan.tee_path)));
    op.say(&format!("  expect:     {}", plan.expected));
}

/// Run the recovery from the confirmation on. The first bundle is already written.
pub fn recover(rec: &Recovery, op: &mut dyn Operator) -> ResumeResult {
    let report = &rec.install.report;
    let verdict = Some(report.verdict);
    let mut result = ResumeResult::new(RecoveryOutcome::Refused, verdict);
    result.bundle = rec.bundle.clone();
    let out_dir = rec.session.out_dir.clone();
    let final_bundle = rec.session.keep_upgrade_log;
    let plan = match make_plan(&rec.install, &out_dir, RunKind::Script) {
        Ok(p) => p,
        Err(e) => {
            result.reason = Some(e.to_string());
            result.next_step = Some(e.next_step().to_string());
            return result;
        }
    };
    result.command = Some(plan.spec.display());
    if let Some(r) = policy::trust_refusal(&plan) {
        let mut out = ResumeResult::refused(verdict, r);
        out.bundle = rec.bundle.clone();
        out.command = result.command;
        return out;
    }
    if let crate::platform::provenance::Trust::Confirm { reason, entry } = &plan.trust {
        op.say(&format!("Warning: {reason}: {}", sanitize::text(entry)));
        if !op.confirm_typed(
            "Anyone allowed by that entry could change what runs as administrator. Type RUN to run it anyway",
            "RUN",
        ) {
            result.outcome = RecoveryOutcome::Declined;
            result.reason = Some(format!("not confirmed: {reason}; nothing was run"));
            return result;
        }
        tracing::info!(%reason, %entry, "ACL warning confirmed by typing RUN");
    }
    if let Some(r) = policy::privilege_refusal(
        &plan,
        crate::platform::privilege::is_root(),
        "midrescue resume",
    ) {
        let mut out = ResumeResult::refused(verdict, r);
        out.bundle = rec.bundle.clone();
        out.command = result.command;
        return out;
    }
    describe_plan(&plan, op);
    if !rec.yes && !op.confirm("Re-run the upgrade now?") {
        tracing::info!("operator declined the re-run");
        result.outcome = RecoveryOutcome::Declined;
        result.reason = Some("the operator declined; nothing was run".to_string());
        return result;
    }
    tracing::info!(yes = rec.yes, command = %plan.spec.display(), "re-run confirmed");

    let restore = manual_start(rec, op);
    let mut session = Session::attach(rec.install.clone(), rec.session.clone());
    let mut face = LineFace::new(op, rec.yes, rec.session.clock.clone());
    for ev in session.start(&plan) {
        face.event(&ev);
    }
    let run = drive(&mut session, &mut face);
    if let Some(previous) = restore {
        match rec.install.service.set_start_type(previous) {
            Ok(()) => op.say(&format!(
                "Restored the MID service start type to {previous:?}."
            )),
            Err(e) => op.say(&format!(
                "Could not restore the MID service start type to {previous:?}: {e:#}. Set it back by hand."
            )),
        }
    }
    let Some(run) = run else {
        result.reason = Some("stopped before the end".into());
        return result;
    };
    result.outcome = run.outcome;
    result.reason = Some(run.reason.clone());
    result.evidence = run.evidence.clone();
    result.next_step = run.next_step.clone();
    result.milestones = run.milestones.clone();
    result.lock_retries = run.lock_retries;
    result.fallback_used = run.fallback_used;
    result.output_file = run.output_files.last().cloned();
    if let Some(fix) = policy::root_owned_after_run(&rec.install) {
        op.say(&fix.message);
        result.root_owned_fix = Some(fix.command);
    }
    if final_bundle {
        op.say("Writing the final support bundle (the install as it is now, with the re-run's output)...");
        let req = BundleRequest {
            install: &rec.install,
            options: crate::bundle::CollectOptions::new(
                rec.install.report.agent_dir.clone(),
                out_dir,
            ),
            after_run: Some(AfterRun {
                run: Some(run),
                upgrade_log_copy: session.upgrade_log_copy().map(Path::to_path_buf),
                journal: None,
            }),
        };
        match build_bundle(
            req,
            &crate::platform::exec::SystemExec::default(),
            &mut |_| {},
        ) {
            Ok(s) => result.final_bundle = Some(s.path),
            Err(e) => op.say(&format!(
                "Could not write the final bundle: {}",
                sanitize::text(&format!("{e:#}"))
            )),
        }
    }
    result
}

/// Set the start type to manual if asked and confirmed; returns what to restore.
fn manual_start(rec: &Recovery, op: &mut dyn Operator) -> Option<StartType> {
    if !rec.manual_start {
        return None;
    }
    let service = &rec.install.service;
    let previous = service.query().start_type;
    if previous == Some(StartType::Manual) || previous == Some(StartType::Disabled) {
        op.say("The MID service already does not start at boot.");
        return None;
    }
    let Some(previous) = previous else {
        op.say("The MID service's start type is unknown; leaving it as it is.");
        return None;
    };
    if !rec.yes
        && !op.confirm(
            "Set the MID service to manual start during the recovery (restored afterwards)?",
        )
    {
        return None;
    }
    match service.set_start_type(StartType::Manual) {
        Ok(()) => {
            tracing::info!("MID service start type set to manual (was {previous:?})");
            op.say(&format!(
                "MID service set to manual start for the recovery. If this command is interrupted, set it back to {previous:?} yourself."
            ));
            Some(previous)
        }
        Err(e) => {
            op.say(&format!("Could not set manual start: {e:#} (continuing)."));
            None
        }
    }
}

/// The engine's events as lines for a terminal or a log.
struct LineFace<'a> {
    op: &'a mut dyn Operator,
    yes: bool,
    clock: Arc<dyn Clock>,
    began: Option<chrono::DateTime<chrono::Utc>>,
    offered: bool,
    last_service: Option<crate::platform::service::ServiceState>,
    last_warning: Option<String>,
}

impl<'a> LineFace<'a> {
    fn new(op: &'a mut dyn Operator, yes: bool, clock: Arc<dyn Clock>) -> Self {
        LineFace {
            op,
            yes,
            clock,
            began: None,
            offered: false,
            last_service: None,
            last_warning: None,
        }
    }

    fn since_start(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        let d = self
            .began
            .map(|b| (at - b).to_std().unwrap_or_default())
            .unwrap_or_default();
        crate::recovery::session::clock_text(d)
    }

    fn warn_once(&mut self, text: String) {
        if self.last_warning.as_deref() != Some(text.as_str()) {
            self.op.say(&format!("--  {text}"));
            self.last_warning = Some(text);
        }
    }
}

impl Face for LineFace<'_> {
    fn event(&mut self, ev: &RecoveryEvent) {
        match ev {
            RecoveryEvent::Started { pid, kind, .. } => {
                self.began.get_or_insert_with(|| self.clock.utc());
                let what = match kind {
                    RunKind::Script => "Started",
                    RunKind::WrapperFallback => "Started the wrapper fallback",
                };
                self.op.say(&format!(
                    "{what} (pid {pid}). It runs on its own: closing this window or losing SSH does not stop it."
                ));
            }
            RecoveryEvent::SpawnFailed { error, .. } => self
                .op
                .say(&format!("--  could not start: {}", sanitize::text(error))),
            RecoveryEvent::Line { source, text } => {
                self.op.say(&format!("[{}] {text}", source.tag()))
            }
            RecoveryEvent::FileNote { source, note } => {
                self.op.say(&format!("--  {} {note}", source.file_name()))
            }
            RecoveryEvent::Exited { code, .. } => self.op.say(&format!(
                "--  the started process ended ({})",
                code.map(|c| format!("exit code {c}"))
                    .unwrap_or_else(|| "killed by a signal".into())
            )),
            RecoveryEvent::FallbackOffered { plan, .. } => {
                self.offered = true;
                self.op.say("The script says the upgrade service is not installed (KB0779816): the fallback runs the upgrade wrapper directly.");
                describe_plan(plan, self.op);
            }
            RecoveryEvent::Service(state) => {
                if self.last_service.is_some() && self.last_service != Some(*state) {
                    self.op.say(&format!("--  the MID service is now {state}"));
                }
                self.last_service = Some(*state);
            }
            RecoveryEvent::Instance(answer) => {
                let text = match answer {
                    Ok(a) => format!("instance: {}", a.detail),
                    Err(e) => format!("instance: {e}"),
                };
                self.warn_once(sanitize::text(&text));
            }
            RecoveryEvent::Reached { milestone, at } => {
                let t = self.since_start(*at);
                self.op.say(&format!("==> {} ({t})", milestone.describe()));
            }
            RecoveryEvent::LockRetry { count, .. } => {
                if *count == 1 || count % 10 == 0 {
                    self.op.say(&format!(
                        "--  a file is still locked; the upgrade retries ({count} so far)"
                    ));
                }
            }
            RecoveryEvent::Warning(w) => self.warn_once(w.clone()),
            RecoveryEvent::Stalled {
                quiet_for,
                waiting_for,
            } => self.op.say(&format!(
                "--  no new log line for {}: the upgrade may be stuck (still waiting for: {})",
                crate::recovery::session::clock_text(*quiet_for),
                waiting_for.join(", ")
            )),
            RecoveryEvent::StallCleared => self.op.say("--  log lines arrive again"),
            RecoveryEvent::Finished(_) => {}
        }
    }

    fn wait(&mut self, d: Duration) -> Option<Decision> {
        if std::mem::take(&mut self.offered) {
            let yes = self.yes || self.op.confirm("Run the wrapper fallback now?");
            return Some(if yes {
                Decision::RunFallback
            } else {
                Decision::DeclineFallback
            });
        }
        self.clock.sleep(d);
        None
    }
}

// ---- the CLI ----------------------------------------------------------------------------------

/// The terminal operator: progress to stdout (stderr with `--json`), questions on the TTY.
struct Terminal {
    json: bool,
}

impl Operator for Terminal {
    fn confirm(&mut self, question: &str) -> bool {
        if !std::io::stdin().is_terminal() {
            self.say(&format!(
                "{question} -- no terminal to ask on; use --yes to accept."
            ));
            return false;
        }
        eprint!("{question} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() {
            return false;
        }
        matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }

    fn confirm_typed(&mut self, question: &str, word: &str) -> bool {
        if !std::io::stdin().is_terminal() {
            self.say(&format!(
                "{question} -- no terminal to type on; nothing runs."
            ));
            return false;
        }
        eprint!("{question}: ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == word
    }

    fn say(&mut self, line: &str) {
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

pub fn run(agent_dir: Option<&Path>, args: &ResumeArgs) -> anyhow::Result<u8> {
    let mut op = Terminal { json: args.json };
    let result = run_with(agent_dir, args, &mut op)?;
    finish(&result, args.json, &mut op)?;
    Ok(result.exit_code())
}

fn run_with(
    agent_dir: Option<&Path>,
    args: &ResumeArgs,
    op: &mut dyn Operator,
) -> anyhow::Result<ResumeResult> {
    let (host, report) = crate::host::detect_one(agent_dir)?;
    let install = Arc::new(host.install(report));
    let report = &install.report;
    op.say(&format!(
        "{}: {} (MID {}, installed {}, target {})",
        sanitize::path(&report.agent_dir),
        report.verdict.as_str(),
        sanitize::text(report.mid_name.as_deref().unwrap_or("?")),
        sanitize::text(report.installed_version.as_deref().unwrap_or("?")),
        sanitize::text(report.target_version.as_deref().unwrap_or("?")),
    ));
    if let Some(r) = policy::refusal(report.verdict).or_else(|| policy::elevation_refusal(report)) {
        return Ok(ResumeResult::refused(Some(report.verdict), r));
    }
    op.say("Do NOT start the MID service yourself: it would delete the upgrade temp folder (KB0779816).");
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(crate::bundle::default_out_dir);
    if args.dry_run {
        let mut r = ResumeResult::new(RecoveryOutcome::DryRun, Some(report.verdict));
        match make_plan(&install, &out_dir, RunKind::Script) {
            Ok(plan) => {
                describe_plan(&plan, op);
                r.command = Some(plan.spec.display());
                if let Some(refusal) = policy::trust_refusal(&plan) {
                    op.say(&format!("It would be refused: {}", refusal.reason));
                    r.outcome = RecoveryOutcome::Refused;
                    r.reason = Some(refusal.reason);
                    r.next_step = refusal.next_step;
                }
            }
            Err(e) => {
                r.outcome = RecoveryOutcome::Refused;
                r.reason = Some(e.to_string());
                r.next_step = Some(e.next_step().to_string());
            }
        }
        op.say("Dry run: nothing was run.");
        return Ok(r);
    }

    // Root first: no point in collecting and asking if the run cannot happen as this user.
    if let Ok(plan) = make_plan(&install, &out_dir, RunKind::Script)
        && let Some(r) = policy::trust_refusal(&plan).or_else(|| {
            policy::privilege_refusal(
                &plan,
                crate::platform::privilege::is_root(),
                "midrescue resume",
            )
        })
    {
        return Ok(ResumeResult::refused(Some(report.verdict), r));
    }
    let instance = instance_check(args, &install)?;
    crate::platform::private_fs::ensure_private_dir(&out_dir)?;
    op.say("Collecting the support bundle first (glide-dist-upgrade.log may be the only record of the crash)...");
    let bundle = match first_bundle(&install, &out_dir, op) {
        Ok(p) => {
            op.say(&format!("Bundle: {}", sanitize::path(&p)));
            p
        }
        Err(e) => {
            return Ok(ResumeResult::refused(
                Some(report.verdict),
                Refusal {
                    reason: format!(
                        "could not write the support bundle ({}); nothing was run, because the logs it saves may be lost by the re-run",
                        sanitize::text(&format!("{e:#}"))
                    ),
                    next_step: Some(
                        "Fix the problem (e.g. choose another --out folder) and try again.".into(),
                    ),
                },
            ));
        }
    };
    let rec = Recovery {
        install: install.clone(),
        session: SessionParts {
            cadence: Cadence::default(),
            limits: args.limits.into(),
            clock: Arc::new(SystemClock::default()),
            launcher: Arc::new(SystemLauncher),
            instance: instance.map(|c| Arc::new(c) as Arc<dyn InstanceProbe>),
            out_dir,
            keep_upgrade_log: true,
        },
        bundle: Some(bundle),
        yes: args.yes,
        manual_start: args.manual_start,
    };
    Ok(recover(&rec, op))
}

/// The first bundle, with a "N/M files" line every two seconds.
fn first_bundle(
    install: &Install,
    out_dir: &Path,
    op: &mut dyn Operator,
) -> anyhow::Result<PathBuf> {
    let mut last_said = std::time::Instant::now();
    let req = BundleRequest {
        install,
        options: crate::bundle::CollectOptions::new(
            install.report.agent_dir.clone(),
            out_dir.to_path_buf(),
        ),
        after_run: None,
    };
    let summary = build_bundle(
        req,
        &crate::platform::exec::SystemExec::default(),
        &mut |p| {
            // Bytes move inside a big file too (a wrapper.log of hundreds of MB).
            if let Some(at) = p.position()
                && last_said.elapsed() >= Duration::from_secs(2)
            {
                last_said = std::time::Instant::now();
                op.say(&format!(
                    "   {}/{} files, {:.1}/{:.1} MB",
                    at.files_done,
                    at.files_total,
                    at.bytes_done as f64 / 1e6,
                    at.bytes_total as f64 / 1e6
                ));
            }
        },
    )?;
    if !summary.skipped.is_empty() {
        op.say(&format!(
            "   {} file(s) not collected (listed in the bundle's manifest)",
            summary.skipped.len()
        ));
    }
    Ok(summary.path)
}

fn instance_check(args: &ResumeArgs, install: &Install) -> anyhow::Result<Option<InstanceCheck>> {
    let Some(user) = &args.instance_user else {
        return Ok(None);
    };
    // Plain HTTP only to a lab's own loopback stand-in; refused before any prompt or run.
    let lab_url = install
        .lab_root
        .as_deref()
        .and_then(crate::lab::registry::lab_instance_url);
    InstanceCheck::for_report(
        user,
        args.instance_url.as_deref(),
        &install.report,
        lab_url.as_deref(),
    )
    .map(Some)
}

fn finish(result: &ResumeResult, json: bool, op: &mut dyn Operator) -> anyhow::Result<()> {
    match result.outcome {
        RecoveryOutcome::Recovered => op.say("The MID Server is Up."),
        RecoveryOutcome::DryRun => {}
        other => {
            op.say(&format!(
                "Result: {other}: {}",
                result.reason.as_deref().unwrap_or("")
            ));
            if !result.evidence.is_empty() {
                op.say("Evidence:");
                for e in &result.evidence {
                    op.say(&format!("  {e}"));
                }
            }
        }
    }
    if let Some(b) = &result.bundle {
        op.say(&format!("Support bundle: {}", sanitize::path(b)));
    }
    if let Some(b) = &result.final_bundle {
        op.say(&format!("Final bundle:   {}", sanitize::path(b)));
    }
    if let Some(o) = &result.output_file {
        op.say(&format!("Captured output: {}", sanitize::path(o)));
    }
    if let Some(n) = &result.next_step {
        op.say(&format!("Next step: {n}"));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(result)?);
    }
    Ok(())
}
