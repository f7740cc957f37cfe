//! `midrescue resume`: the non-interactive recovery (KB0779816).
//!
//! detect → refuse unless `crashed_upgrade` → collect the bundle → confirm → run the script
//! (detached) → follow the logs and judge → Up (exit 0) or Failed/TimedOut (exit 1) with the
//! evidence, the bundle path and the next step. The engine pieces are `platform::runner`,
//! `follow` and `mid::milestones`; this file is the glue and the operator's words.

mod probes;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;

use crate::cli::{EXIT_FAILED, EXIT_OK, ResumeArgs};
use crate::follow::{FollowConfig, FollowEvent, Follower, StartAt};
use crate::mid::milestones::{Milestone, Outcome, Probe, Source, Watch, WatchConfig, WatchEvent};
use crate::mid::report::{DetectReport, Verdict};
use crate::platform::instance::{self, Credentials};
use crate::platform::privilege;
use crate::platform::runner::{self, PlanInputs, RunKind, RunPlan};
use crate::platform::service::{ServiceControl, StartType};

pub use probes::{parse_duration, parse_meta_buildstamp, sanitize};

/// The operator: questions and progress lines. The CLI talks to a terminal; tests script it.
pub trait Operator {
    /// Ask a yes/no question; `false` unless clearly answered yes.
    fn confirm(&mut self, question: &str) -> bool;
    /// One line of progress for the human.
    fn say(&mut self, line: &str);
}

/// Everything the recovery needs, already found out (detect ran, the bundle was written).
pub struct Recovery<'a> {
    pub report: &'a DetectReport,
    pub service: &'a dyn ServiceControl,
    pub lab_root: Option<&'a Path>,
    /// Where the bundle and the captured output go (outside the MID tree).
    pub out_dir: PathBuf,
    pub bundle: Option<PathBuf>,
    pub yes: bool,
    pub manual_start: bool,
    pub timeout: Duration,
    pub stall: Duration,
    pub poll: Duration,
    /// Instance URL, MID name and credentials for the optional confirmation.
    pub instance: Option<(String, String, Credentials)>,
}

/// The result object (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct ResumeResult {
    /// `up`, `failed`, `timed_out`, `refused`, `declined` or `dry_run`.
    pub outcome: String,
    pub verdict: Option<Verdict>,
    pub reason: Option<String>,
    pub evidence: Vec<String>,
    pub bundle: Option<PathBuf>,
    /// The file holding the started process's stdout and stderr.
    pub output_file: Option<PathBuf>,
    pub command: Option<String>,
    pub fallback_used: bool,
    pub milestones: Vec<Milestone>,
    pub lock_retries: u32,
    pub root_owned_fix: Option<String>,
    pub next_step: Option<String>,
}

impl ResumeResult {
    fn new(outcome: &str, verdict: Option<Verdict>) -> Self {
        ResumeResult {
            outcome: outcome.to_string(),
            verdict,
            reason: None,
            evidence: Vec::new(),
            bundle: None,
            output_file: None,
            command: None,
            fallback_used: false,
            milestones: Vec::new(),
            lock_retries: 0,
            root_owned_fix: None,
            next_step: None,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self.outcome.as_str() {
            "up" | "dry_run" => EXIT_OK,
            _ => EXIT_FAILED,
        }
    }
}

const NEXT_RETRY: &str = "Run `midrescue resume` again: a second run often works once antivirus has scanned the \
new files (KB0779816). If it fails again, use the manual procedure KB0713557, and send the bundle to ServiceNow support.";
const NEXT_MANUAL: &str = "The re-run path is closed: use the manual procedure KB0713557 (back up config.xml, \
wrapper-override.conf and cacerts, install a fresh agent folder, restore them).";

/// Why `resume` will not act on this verdict, with the next step; `None` when it may.
pub fn refusal(verdict: Verdict) -> Option<(String, Option<&'static str>)> {
    let why = match verdict {
        Verdict::CrashedUpgrade => return None,
        Verdict::TempFolderLost => {
            return Some((
                "the upgrade crashed, but its temp folder or script is gone, so there is nothing to re-run"
                    .to_string(),
                Some(NEXT_MANUAL),
            ));
        }
        Verdict::Healthy => "the MID Server looks healthy: nothing to re-run",
        Verdict::UpgradeInProgress => {
            "an upgrade is running right now: let it finish (re-running it now would fight over the same files)"
        }
        Verdict::Stopped => {
            "the MID service is stopped, but not because of a crashed upgrade: nothing to re-run"
        }
        Verdict::NotAMidServer => "this folder is not a MID Server agent folder",
    };
    Some((why.to_string(), None))
}

/// Print the plan (`--dry-run`).
pub fn describe_plan(plan: &RunPlan, op: &mut dyn Operator) {
    let what = match plan.kind {
        RunKind::Script => "re-run the upgrade script",
        RunKind::WrapperFallback => "run the upgrade wrapper directly (fallback)",
    };
    op.say(&format!("Plan: {what}"));
    op.say(&format!("  KB0779816:  in {}", plan.kb_folder.display()));
    op.say(&format!("              {}", plan.kb_command));
    op.say(&format!("  runs:       {}", plan.spec.display()));
    if let Some(cwd) = &plan.spec.cwd {
        op.say(&format!(
            "  from:       {} (outside the install: the script finds its own folder)",
            cwd.display()
        ));
    }
    if plan.simulated {
        op.say(&format!("  real host:  {}", plan.real.display()));
        op.say("  (a training lab: the lab's simulated upgrade runs instead of the real command)");
    }
    op.say(&format!("  as user:    {}", plan.user));
    if let Some(why) = &plan.needs_root {
        op.say(&format!("  needs root: {why}"));
    }
    op.say(&format!("  output to:  {}", plan.tee_path.display()));
    op.say(&format!("  expect:     {}", plan.expected));
}

fn stamp() -> String {
    chrono::Local::now().format("%Y%m%d-%H%M%S").to_string()
}

/// Build the plan for `kind` with this host's user and privilege facts.
pub fn make_plan(
    report: &DetectReport,
    lab_root: Option<&Path>,
    out_dir: &Path,
    kind: RunKind,
) -> Result<RunPlan, runner::PlanError> {
    let upgrade = report
        .upgrade
        .clone()
        .unwrap_or(crate::mid::report::UpgradeReport {
            temp_dir: None,
            temp_dir_source: None,
            marker_line: None,
            script: None,
            script_exists: false,
            script_executable: None,
            wrapper_conf: None,
            wrapper_exe: None,
            upgrade_log: None,
            started_at: None,
        });
    let needs_root = if lab_root.is_some() {
        None
    } else {
        privilege::root_needed(
            report.platform,
            &report.agent_dir,
            privilege::systemd_unit_exists(report.service.name.as_deref()),
        )
    };
    let stamp = stamp();
    let inp = PlanInputs {
        platform: report.platform,
        upgrade: &upgrade,
        lab_root,
        out_dir,
        stamp: &stamp,
        user: privilege::current_user(),
        needs_root,
    };
    match kind {
        RunKind::Script => runner::plan_script(&inp),
        RunKind::WrapperFallback => runner::plan_fallback(&inp),
    }
}

/// Run the recovery from the confirmation on. The bundle is already written.
pub fn recover(rec: &Recovery, op: &mut dyn Operator) -> ResumeResult {
    let verdict = Some(rec.report.verdict);
    let mut result = ResumeResult::new("refused", verdict);
    result.bundle = rec.bundle.clone();
    let plan = match make_plan(rec.report, rec.lab_root, &rec.out_dir, RunKind::Script) {
        Ok(p) => p,
        Err(e) => {
            result.next_step = Some(match &e {
                runner::PlanError::ScriptNotExecutable(_) => {
                    "Make the script executable as the reason says, then run `midrescue resume` again."
                        .to_string()
                }
                _ => NEXT_MANUAL.to_string(),
            });
            result.reason = Some(e.to_string());
            return result;
        }
    };
    result.command = Some(plan.spec.display());
    if let Some(why) = &plan.needs_root
        && !privilege::is_root()
    {
        result.reason = Some(format!(
            "the upgrade must run as root ({why}); run `sudo midrescue resume` instead"
        ));
        return result;
    }
    describe_plan(&plan, op);
    if !rec.yes && !op.confirm("Re-run the upgrade now?") {
        tracing::info!("operator declined the re-run");
        result.outcome = "declined".to_string();
        result.reason = Some("the operator declined; nothing was run".to_string());
        return result;
    }
    tracing::info!(yes = rec.yes, command = %plan.spec.display(), "re-run confirmed");

    let restore = manual_start(rec, op);
    let mut run = RunState::new(rec);
    let outcome = run.watch(rec, plan, op, &mut result);
    if let Some(previous) = restore {
        match rec.service.set_start_type(previous) {
            Ok(()) => op.say(&format!("Restored the MID service start type to {previous:?}.")),
            Err(e) => op.say(&format!(
                "Could not restore the MID service start type to {previous:?}: {e:#}. Set it back by hand."
            )),
        }
    }
    result.milestones = run.watch.reached().to_vec();
    result.lock_retries = run.watch.lock_retries();
    match outcome {
        Outcome::Up => {
            result.outcome = "up".to_string();
            result.reason = Some("the MID Server is Up on the target version".to_string());
        }
        Outcome::Failed {
            reason, evidence, ..
        } => {
            result.outcome = "failed".to_string();
            result.reason = Some(reason);
            result.evidence = evidence;
            result.next_step = Some(NEXT_RETRY.to_string());
        }
        Outcome::TimedOut { last, evidence } => {
            result.outcome = "timed_out".to_string();
            result.reason = Some(format!(
                "not Up within {:?} (last step: {}); still waiting for: {}. The upgrade may still be running.",
                rec.timeout,
                last.map(Milestone::describe).unwrap_or("none"),
                run.watch.missing_for_up().join(", ")
            ));
            result.evidence = evidence;
            result.next_step = Some(NEXT_RETRY.to_string());
        }
    }
    if rec.lab_root.is_none()
        // Only a run as root can have left files owned by root.
        && privilege::is_root()
        && let Some(found) = privilege::find_root_owned(&rec.report.agent_dir, 200_000)
    {
        op.say(&format!(
            "{} file(s) in the install now belong to root (e.g. {}). Give them back to the MID's user: {}",
            found.count,
            found
                .examples
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            found.fix
        ));
        result.root_owned_fix = Some(found.fix);
    }
    result
}

/// Set the start type to manual if asked and confirmed; returns what to restore.
fn manual_start(rec: &Recovery, op: &mut dyn Operator) -> Option<StartType> {
    if !rec.manual_start {
        return None;
    }
    let previous = rec.service.query().start_type;
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
    match rec.service.set_start_type(StartType::Manual) {
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

const TEE: &str = "output";

/// The loop state of one recovery.
struct RunState {
    follower: Follower,
    watch: Watch,
    began: Instant,
    tee_labels: Vec<String>,
    /// The last warning shown, so a repeated one (e.g. the instance's answer) is shown once.
    last_warning: Option<String>,
}

impl RunState {
    fn new(rec: &Recovery) -> Self {
        let watch = Watch::new(WatchConfig {
            stall_after: rec.stall,
            timeout: rec.timeout,
            target_version: rec.report.target_version.clone(),
            require_instance: rec.instance.is_some(),
        });
        let mut follower = Follower::new(FollowConfig {
            poll_interval: rec.poll,
            start: StartAt::End { context_bytes: 0 },
            ..FollowConfig::default()
        });
        let logs = rec.report.agent_dir.join("logs");
        if let Some(upgrade_log) = rec.report.upgrade_log_path() {
            follower.add(Source::UpgradeLog.tag(), upgrade_log);
        }
        follower.add(Source::WrapperLog.tag(), logs.join("wrapper.log"));
        follower.add(Source::AgentLog.tag(), logs.join("agent0.log.0"));
        // Attach now, before anything runs: only lines written after this point count.
        let _ = follower.poll();
        RunState {
            follower,
            watch,
            began: Instant::now(),
            tee_labels: Vec::new(),
            last_warning: None,
        }
    }

    fn watch(
        &mut self,
        rec: &Recovery,
        plan: RunPlan,
        op: &mut dyn Operator,
        result: &mut ResumeResult,
    ) -> Outcome {
        let mut running = match self.start(&plan, op, result) {
            Ok(r) => r,
            Err(reason) => {
                return Outcome::Failed {
                    reason,
                    code: None,
                    evidence: Vec::new(),
                };
            }
        };
        let mut said_not_installed = false;
        let mut exited = false;
        let mut next_probe = Instant::now();
        let mut probe_round: u64 = 0;
        let mut next_instance = Instant::now();
        loop {
            if let Some(o) = self.drain(op, &mut said_not_installed) {
                return o;
            }
            if Instant::now() >= next_probe {
                next_probe = Instant::now() + Duration::from_secs(1);
                if !exited {
                    match running.try_exit() {
                        Ok(Some(exit)) => {
                            exited = true;
                            // Read what it printed last before judging its exit.
                            if let Some(o) = self.drain(op, &mut said_not_installed) {
                                return o;
                            }
                            if said_not_installed && !result.fallback_used {
                                match self.fallback(rec, op, result) {
                                    Ok(Some(r)) => {
                                        running = r;
                                        exited = false;
                                        said_not_installed = false;
                                        continue;
                                    }
                                    Ok(None) => {
                                        return not_installed(
                                            "the script said the upgrade service is not installed, and the wrapper fallback was not run".to_string(),
                                        );
                                    }
                                    Err(reason) => return not_installed(reason),
                                }
                            }
                            op.say(&format!(
                                "-- the started process ended ({})",
                                exit.code
                                    .map(|c| format!("exit code {c}"))
                                    .unwrap_or_else(|| "killed by a signal".into())
                            ));
                            let now = self.began.elapsed();
                            let events = self
                                .watch
                                .probe(Probe::ProcessExited { code: exit.code }, now);
                            if let Some(o) = self.report(events, op) {
                                return o;
                            }
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!("waiting for the upgrade process: {e}"),
                    }
                }
                // A service query may spawn `systemctl`/`sc.exe`: every third round is enough.
                probe_round += 1;
                let service = (probe_round % 3 == 1).then_some(rec.service);
                let mut found = probes::local(rec.report, service);
                // Ask the instance only when it is the last thing Up waits for.
                if let Some(target) = &rec.instance
                    && Instant::now() >= next_instance
                    && self.watch.missing_for_up().len() == 1
                {
                    next_instance = Instant::now() + Duration::from_secs(10);
                    found.push(self.instance_probe(target, rec.report));
                }
                for p in found {
                    let events = self.watch.probe(p, self.began.elapsed());
                    if let Some(o) = self.report(events, op) {
                        return o;
                    }
                }
            }
            let events = self.watch.tick(self.began.elapsed());
            if let Some(o) = self.report(events, op) {
                return o;
            }
            std::thread::sleep(rec.poll);
        }
    }

    /// Poll the followed files once: stream their lines and feed them to the watch.
    fn drain(&mut self, op: &mut dyn Operator, said_not_installed: &mut bool) -> Option<Outcome> {
        let now = self.began.elapsed();
        for batch in self.follower.poll() {
            let source = source_of(&batch.source);
            for ev in &batch.events {
                if let Some(text) = describe_follow_event(&batch.source, ev) {
                    op.say(&text);
                }
            }
            for line in &batch.lines {
                if source == Source::Output && line.starts_with("# midrescue ") {
                    continue;
                }
                op.say(&format!("[{}] {}", source.tag(), sanitize(line)));
                *said_not_installed |=
                    source == Source::Output && runner::says_service_not_installed(line);
                let events = self.watch.feed(source, line, now);
                if let Some(o) = self.report(events, op) {
                    return Some(o);
                }
            }
        }
        None
    }

    /// One read-only question to the instance, as a probe.
    fn instance_probe(
        &self,
        target: &(String, String, Credentials),
        report: &DetectReport,
    ) -> Probe {
        let (url, name, creds) = target;
        let since = chrono::Utc::now()
            - chrono::Duration::from_std(self.began.elapsed()).unwrap_or_default();
        match instance::fetch(url, name, creds, Duration::from_secs(15)) {
            Ok(Some(r)) => {
                let (up, detail) = instance::judge(&r, report.target_version.as_deref(), since);
                Probe::Instance { up, detail }
            }
            Ok(None) => Probe::Instance {
                up: false,
                detail: format!("the instance has no MID Server named {name:?}"),
            },
            Err(e) => Probe::Instance {
                up: false,
                detail: format!("{e:#}"),
            },
        }
    }

    fn start(
        &mut self,
        plan: &RunPlan,
        op: &mut dyn Operator,
        result: &mut ResumeResult,
    ) -> Result<runner::Running, String> {
        let label = format!("{TEE}{}", self.tee_labels.len());
        self.follower
            .add_starting(label.clone(), &plan.tee_path, StartAt::Beginning);
        self.tee_labels.push(label);
        let running = runner::spawn(plan).map_err(|e| format!("{e:#}"))?;
        result.output_file = Some(plan.tee_path.clone());
        result.command = Some(plan.spec.display());
        op.say(&format!(
            "Started (pid {}). It runs on its own: closing this window or losing SSH does not stop it.",
            running.pid
        ));
        let events = self.watch.probe(Probe::Spawned, self.began.elapsed());
        let _ = self.report(events, op);
        Ok(running)
    }

    /// The script answered "service is not installed": offer the wrapper fallback.
    fn fallback(
        &mut self,
        rec: &Recovery,
        op: &mut dyn Operator,
        result: &mut ResumeResult,
    ) -> Result<Option<runner::Running>, String> {
        op.say("The script says the upgrade service is not installed (KB0779816): the fallback runs the upgrade wrapper directly.");
        let plan = make_plan(
            rec.report,
            rec.lab_root,
            &rec.out_dir,
            RunKind::WrapperFallback,
        )
        .map_err(|e| e.to_string())?;
        describe_plan(&plan, op);
        if !rec.yes && !op.confirm("Run the wrapper fallback now?") {
            return Ok(None);
        }
        result.fallback_used = true;
        self.start(&plan, op, result).map(Some)
    }

    /// Print watch events; the outcome when the watch finished.
    fn report(&mut self, events: Vec<WatchEvent>, op: &mut dyn Operator) -> Option<Outcome> {
        let mut done = None;
        for ev in events {
            match ev {
                WatchEvent::Reached(m) => op.say(&format!(
                    "==> {} ({})",
                    m.describe(),
                    clock(self.began.elapsed())
                )),
                WatchEvent::LockRetry { count, .. } => {
                    if count == 1 || count % 10 == 0 {
                        op.say(&format!(
                            "--  a file is still locked; the upgrade retries ({count} so far)"
                        ));
                    }
                }
                WatchEvent::Warning(w) => {
                    if self.last_warning.as_deref() != Some(w.as_str()) {
                        op.say(&format!("--  {}", sanitize(&w)));
                        self.last_warning = Some(w);
                    }
                }
                WatchEvent::Stalled { quiet_for } => op.say(&format!(
                    "--  no new log line for {}: the upgrade may be stuck (still waiting for: {})",
                    clock(quiet_for),
                    self.watch.missing_for_up().join(", ")
                )),
                WatchEvent::Finished(o) => done = Some(o),
            }
        }
        done
    }
}

fn not_installed(reason: String) -> Outcome {
    Outcome::Failed {
        reason,
        code: Some(crate::mid::report::FindingCode::ServiceNotInstalled),
        evidence: Vec::new(),
    }
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}", s / 60, s % 60)
}

fn source_of(label: &str) -> Source {
    match label {
        "upgrade" => Source::UpgradeLog,
        "wrapper" => Source::WrapperLog,
        "agent" => Source::AgentLog,
        _ => Source::Output,
    }
}

fn describe_follow_event(label: &str, ev: &FollowEvent) -> Option<String> {
    let name = match source_of(label) {
        Source::Output => "the captured output",
        Source::UpgradeLog => "glide-dist-upgrade.log",
        Source::WrapperLog => "wrapper.log",
        Source::AgentLog => "agent0.log.0",
    };
    Some(match ev {
        FollowEvent::Waiting | FollowEvent::StartedAt { .. } => return None,
        FollowEvent::Appeared => format!("--  {name} appeared"),
        FollowEvent::Truncated => format!("--  {name} was truncated; reading it from the start"),
        FollowEvent::Replaced => format!("--  {name} was replaced; reading the new file"),
        FollowEvent::Rotated { .. } => format!("--  {name} was rotated; following the new file"),
        FollowEvent::Deleted => format!("--  {name} was deleted"),
        FollowEvent::LongLinesCut { count, max_bytes } => {
            format!("--  {count} overlong line(s) in {name} cut at {max_bytes} bytes")
        }
        FollowEvent::Error(e) => format!("--  cannot read {name} right now: {e} (retrying)"),
    })
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

    fn say(&mut self, line: &str) {
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// What detect found, with the service control that answers for this install.
pub struct Detected {
    pub report: DetectReport,
    pub service: Box<dyn ServiceControl>,
    pub lab_root: Option<PathBuf>,
}

/// Detection (the `mid` layer): the one install named, or the only one found.
fn detect_install(agent_dir: Option<&Path>) -> anyhow::Result<Detected> {
    let installs = crate::mid::locate::find_installs(
        agent_dir,
        crate::platform::Platform::host(),
        &crate::platform::exec::SystemExec::default(),
    )?;
    let dir = match installs.as_slice() {
        [] => anyhow::bail!(
            "no MID Server install found in the usual places; name it with --agent-dir DIR"
        ),
        [one] => one.clone(),
        many => anyhow::bail!(
            "{} MID Server installs found ({}); choose one with --agent-dir DIR",
            many.len(),
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let host = crate::host::Host::for_install(&dir);
    let report = crate::mid::detect::detect(&dir, &host)?;
    Ok(Detected {
        report,
        service: host.service,
        lab_root: host.lab_root,
    })
}

/// The support bundle (the `bundle` layer): returns the zip's path.
fn collect_bundle(
    found: &Detected,
    out_dir: &Path,
    op: &mut dyn Operator,
) -> anyhow::Result<PathBuf> {
    let opts = crate::bundle::CollectOptions::new(&found.report.agent_dir, out_dir);
    let mut facts = crate::bundle::facts::SystemFacts::this_host();
    facts.service = Some(found.service.query());
    let mut last_said = Instant::now();
    let summary = crate::bundle::collect(&opts, &found.report, &facts, &mut |p| {
        if let crate::bundle::Progress::File {
            files_done,
            files_total,
            ..
        } = p
            && last_said.elapsed() >= Duration::from_secs(2)
        {
            last_said = Instant::now();
            op.say(&format!("   {files_done}/{files_total} files"));
        }
    })?;
    if !summary.skipped.is_empty() {
        op.say(&format!(
            "   {} file(s) not collected (listed in the bundle's manifest)",
            summary.skipped.len()
        ));
    }
    Ok(summary.path)
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
    let timeout = parse_duration(&args.timeout).context("--timeout")?;
    let stall = parse_duration(&args.stall).context("--stall")?;
    let found = detect_install(agent_dir)?;
    let report = &found.report;
    op.say(&format!(
        "{}: {} (MID {}, installed {}, target {})",
        report.agent_dir.display(),
        report.verdict.as_str(),
        report.mid_name.as_deref().unwrap_or("?"),
        report.installed_version.as_deref().unwrap_or("?"),
        report.target_version.as_deref().unwrap_or("?"),
    ));
    if let Some((why, next)) = refusal(report.verdict) {
        let mut r = ResumeResult::new("refused", Some(report.verdict));
        r.reason = Some(why);
        r.next_step = next.map(str::to_string);
        return Ok(r);
    }
    op.say("Do NOT start the MID service yourself: it would delete the upgrade temp folder (KB0779816).");
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(crate::bundle::default_out_dir);
    if args.dry_run {
        let mut r = ResumeResult::new("dry_run", Some(report.verdict));
        match make_plan(report, found.lab_root.as_deref(), &out_dir, RunKind::Script) {
            Ok(plan) => {
                describe_plan(&plan, op);
                r.command = Some(plan.spec.display());
            }
            Err(e) => {
                r.outcome = "refused".into();
                r.reason = Some(e.to_string());
            }
        }
        op.say("Dry run: nothing was run.");
        return Ok(r);
    }

    // Root first: no point in collecting and asking if the run cannot happen as this user.
    if let Ok(plan) = make_plan(report, found.lab_root.as_deref(), &out_dir, RunKind::Script)
        && let Some(why) = &plan.needs_root
        && !privilege::is_root()
    {
        let mut r = ResumeResult::new("refused", Some(report.verdict));
        r.reason = Some(format!("the upgrade must run as root: {why}"));
        r.next_step = Some("Run it again with sudo: `sudo midrescue resume ...`".to_string());
        return Ok(r);
    }
    let instance = instance_target(args, report, found.lab_root.as_deref())?;
    crate::platform::private_fs::ensure_private_dir(&out_dir)?;
    op.say("Collecting the support bundle first (glide-dist-upgrade.log may be the only record of the crash)...");
    let bundle = match collect_bundle(&found, &out_dir, op) {
        Ok(p) => {
            op.say(&format!("Bundle: {}", p.display()));
            p
        }
        Err(e) => {
            let mut r = ResumeResult::new("refused", Some(report.verdict));
            r.reason = Some(format!(
                "could not write the support bundle ({e:#}); nothing was run, because the logs it saves may be lost by the re-run"
            ));
            r.next_step =
                Some("Fix the problem (e.g. choose another --out folder) and try again.".into());
            return Ok(r);
        }
    };
    let rec = Recovery {
        report,
        service: found.service.as_ref(),
        lab_root: found.lab_root.as_deref(),
        out_dir,
        bundle: Some(bundle),
        yes: args.yes,
        manual_start: args.manual_start,
        timeout,
        stall,
        poll: FollowConfig::default().poll_interval,
        instance,
    };
    Ok(recover(&rec, op))
}

fn instance_target(
    args: &ResumeArgs,
    report: &DetectReport,
    lab_root: Option<&Path>,
) -> anyhow::Result<Option<(String, String, Credentials)>> {
    let Some(user) = &args.instance_user else {
        return Ok(None);
    };
    let url = args
        .instance_url
        .clone()
        .or_else(|| report.instance_url.clone())
        .context(
            "--instance-user needs the instance URL: config.xml has none, give --instance-url",
        )?;
    let name = report
        .mid_name
        .clone()
        .context("the MID's name is unknown (config.xml), so the instance cannot be asked")?;
    // Plain HTTP only to a lab's own loopback stand-in; refused before any prompt or run.
    let lab_url = lab_root.and_then(crate::lab::registry::lab_instance_url);
    let allow = |c: Credentials| match &lab_url {
        Some(u) => c.allow_plain_http_to(u),
        None => c,
    };
    instance::check_endpoint(&url, &allow(Credentials::new(user.clone(), String::new())))?;
    let password = instance::password_from_env_or_prompt(user)?;
    if password.is_empty() {
        anyhow::bail!(
            "no instance password: set {} or type it at the prompt",
            instance::PASSWORD_ENV
        );
    }
    Ok(Some((
        url,
        name,
        allow(Credentials::new(user.clone(), password)),
    )))
}

fn finish(result: &ResumeResult, json: bool, op: &mut dyn Operator) -> anyhow::Result<()> {
    match result.outcome.as_str() {
        "up" => op.say("The MID Server is Up."),
        "dry_run" => {}
        other => {
            op.say(&format!(
                "Result: {other}: {}",
                result.reason.as_deref().unwrap_or("")
            ));
            if !result.evidence.is_empty() {
                op.say("Evidence:");
                for e in &result.evidence {
                    op.say(&format!("  {}", sanitize(e)));
                }
            }
        }
    }
    if let Some(b) = &result.bundle {
        op.say(&format!("Support bundle: {}", b.display()));
    }
    if let Some(o) = &result.output_file {
        op.say(&format!("Captured output: {}", o.display()));
    }
    if let Some(n) = &result.next_step {
        op.say(&format!("Next step: {n}"));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(result)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_crashed_upgrade_is_acted_on() {
        assert!(refusal(Verdict::CrashedUpgrade).is_none());
        let (why, next) = refusal(Verdict::TempFolderLost).unwrap();
        assert!(why.contains("nothing to re-run"));
        assert!(next.unwrap().contains("KB0713557"));
        assert!(
            refusal(Verdict::Healthy)
                .unwrap()
                .0
                .contains("nothing to re-run")
        );
        assert!(refusal(Verdict::UpgradeInProgress).is_some());
    }
}
