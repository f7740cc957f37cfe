//! The watch after a re-run: followed lines and probes in, a timeline and the Up judgement out.
//! Pure: no I/O, time comes in as "elapsed since the run began".
//!
//! "Up" locally means: the service runs, the MID started and connected to its instance after our
//! run began (only lines that arrived after we started following are fed), and the installed
//! version is the target. Success lines of the upgrade itself are unknown (mid-server.md §4.5),
//! so success is judged by what happens after it, never by an upgrade log phrase.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use crate::mid::report::FindingCode;
use crate::mid::signatures;

/// Where a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// stdout/stderr of the script or wrapper we started.
    Output,
    /// `upgrade-wrapper/logs/glide-dist-upgrade.log`.
    UpgradeLog,
    /// `agent/logs/wrapper.log`.
    WrapperLog,
    /// `agent/logs/agent0.log.0`.
    AgentLog,
}

impl Source {
    /// The prefix shown before each streamed line.
    pub fn tag(self) -> &'static str {
        match self {
            Source::Output => "output",
            Source::UpgradeLog => "upgrade",
            Source::WrapperLog => "wrapper",
            Source::AgentLog => "agent",
        }
    }

    /// The file's name as the operator knows it.
    pub fn file_name(self) -> &'static str {
        match self {
            Source::Output => "the captured output",
            Source::UpgradeLog => "glide-dist-upgrade.log",
            Source::WrapperLog => "wrapper.log",
            Source::AgentLog => "agent0.log.0",
        }
    }
}

/// Steps of a recovery, in the order they usually happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    UpgradeStarted,
    FilesReplacing,
    UpgradeLogAppended,
    ServiceStarted,
    MidStarted,
    Connected,
    TempFolderCleaned,
    VersionIsTarget,
    InstanceUp,
}

impl Milestone {
    /// The rows of a recovery timeline, in the order they usually happen (the instance's word
    /// only when it is asked).
    pub const TIMELINE: [Milestone; 7] = [
        Milestone::UpgradeStarted,
        Milestone::FilesReplacing,
        Milestone::ServiceStarted,
        Milestone::MidStarted,
        Milestone::Connected,
        Milestone::VersionIsTarget,
        Milestone::InstanceUp,
    ];

    /// The timeline row a milestone ticks: the upgrade appending its log to wrapper.log means
    /// its files were replaced; the temp folder's clean-up has no row of its own.
    pub fn row(self) -> Option<Milestone> {
        match self {
            Milestone::UpgradeLogAppended => Some(Milestone::FilesReplacing),
            Milestone::TempFolderCleaned => None,
            m => Some(m),
        }
    }

    /// Short label of a timeline row.
    pub fn label(self) -> &'static str {
        match self {
            Milestone::UpgradeStarted => "Upgrade running",
            Milestone::FilesReplacing | Milestone::UpgradeLogAppended => "Files being replaced",
            Milestone::ServiceStarted => "MID service running",
            Milestone::MidStarted => "MID Server started",
            Milestone::Connected => "Connected to instance",
            Milestone::TempFolderCleaned => "Temp folder cleaned up",
            Milestone::VersionIsTarget => "Running the new version",
            Milestone::InstanceUp => "Instance says Up",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Milestone::UpgradeStarted => "upgrade process started",
            Milestone::FilesReplacing => "files being deleted and replaced",
            Milestone::UpgradeLogAppended => "upgrade log appended to wrapper.log",
            Milestone::ServiceStarted => "MID service started",
            Milestone::MidStarted => "MID Server started",
            Milestone::Connected => "connected to the instance",
            Milestone::TempFolderCleaned => "upgrade temp folder cleaned up",
            Milestone::VersionIsTarget => "installed version is the target",
            Milestone::InstanceUp => "instance reports the MID Up",
        }
    }
}

/// How a watch ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Up,
    Failed {
        reason: String,
        code: Option<FindingCode>,
        /// The line(s) that prove it, then the last lines before it.
        evidence: Vec<String>,
    },
    TimedOut {
        /// The last milestone reached, if any.
        last: Option<Milestone>,
        evidence: Vec<String>,
    },
}

/// Something the caller found out by looking (not by reading a followed line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// We started the upgrade process.
    Spawned,
    /// The process we started ended.
    ProcessExited { code: Option<i32> },
    /// The MID service's state (true = running).
    ServiceRunning(bool),
    /// The upgrade temp folder no longer exists.
    TempFolderGone,
    /// Buildstamp read from `package/meta/mid-core.meta.properties`.
    InstalledVersion(String),
    /// The instance check's answer: Up with the target version and a recent update, or why not.
    Instance { up: bool, detail: String },
}

/// What the watch tells the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    Reached(Milestone),
    /// A file could not be deleted or replaced yet (retried by the upgrade; not fatal).
    LockRetry {
        count: u32,
        line: String,
    },
    /// Worth showing, not fatal.
    Warning(String),
    Stalled {
        quiet_for: Duration,
    },
    Finished(Outcome),
}

#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub stall_after: Duration,
    pub timeout: Duration,
    /// Target buildstamp; `None` when unknown (then the version condition cannot be checked).
    pub target_version: Option<String>,
    /// Whether Up also needs the instance's confirmation.
    pub require_instance: bool,
}

const CONTEXT_LINES: usize = 12;

/// One watch. Feed it lines, probes and ticks; read events and the outcome.
#[derive(Debug)]
pub struct Watch {
    cfg: WatchConfig,
    reached: Vec<Milestone>,
    lock_retries: u32,
    last_activity: Duration,
    stalled: bool,
    service_running: bool,
    in_copied_upgrade_log: bool,
    recent: VecDeque<String>,
    outcome: Option<Outcome>,
}

impl Watch {
    pub fn new(cfg: WatchConfig) -> Self {
        Watch {
            cfg,
            reached: Vec::new(),
            lock_retries: 0,
            last_activity: Duration::ZERO,
            stalled: false,
            service_running: false,
            in_copied_upgrade_log: false,
            recent: VecDeque::new(),
            outcome: None,
        }
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// Milestones reached so far, in the order they were reached.
    pub fn reached(&self) -> &[Milestone] {
        &self.reached
    }

    pub fn has(&self, m: Milestone) -> bool {
        self.reached.contains(&m)
    }

    pub fn lock_retries(&self) -> u32 {
        self.lock_retries
    }

    /// What Up still waits for (for "waiting for ..." displays).
    pub fn missing_for_up(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if !self.service_running {
            v.push("the MID service running");
        }
        if !self.has(Milestone::MidStarted) {
            v.push("`MID Server started` in agent0.log.0");
        }
        if !self.has(Milestone::Connected) {
            v.push("`Successfully connected to instance`");
        }
        if self.cfg.target_version.is_some() && !self.has(Milestone::VersionIsTarget) {
            v.push("the installed version to equal the target");
        }
        if self.cfg.require_instance && !self.has(Milestone::InstanceUp) {
            v.push("the instance to report the MID Up");
        }
        v
    }

    /// One followed line that arrived `now` after the run began.
    pub fn feed(&mut self, source: Source, line: &str, now: Duration) -> Vec<WatchEvent> {
        let mut ev = Vec::new();
        if self.outcome.is_some() {
            return ev;
        }
        self.last_activity = now;
        self.stalled = false;
        self.remember(source, line);
        let lower = line.to_ascii_lowercase();

        // The upgrade appends its own log to wrapper.log after replacing files. Those copied
        // lines were already judged live in glide-dist-upgrade.log, and may even be the old
        // crash's, so they mark a milestone but are never judged again.
        let copied = source == Source::WrapperLog && self.is_copied_upgrade_line(line);
        if copied {
            self.reach(Milestone::UpgradeLogAppended, &mut ev);
            return ev;
        }

        if let Some((code, reason)) = fatal(source, line, &lower) {
            // The proving line first, then the lines before it, oldest first.
            let mut evidence = vec![format!("[{}] {line}", source.tag())];
            let before = self.recent.len().saturating_sub(1);
            evidence.extend(self.recent.iter().take(before).cloned());
            return self.finish(
                Outcome::Failed {
                    reason,
                    code: Some(code),
                    evidence,
                },
                ev,
            );
        }

        match source {
            Source::UpgradeLog | Source::Output => {
                if source == Source::UpgradeLog {
                    self.reach(Milestone::UpgradeStarted, &mut ev);
                }
                if is_lock_retry(&lower) {
                    self.lock_retries += 1;
                    ev.push(WatchEvent::LockRetry {
                        count: self.lock_retries,
                        line: line.to_string(),
                    });
                    self.reach(Milestone::FilesReplacing, &mut ev);
                } else if is_file_work(&lower) {
                    self.reach(Milestone::FilesReplacing, &mut ev);
                }
                // The upgrade's own wrapper also "launches a JVM": only the service's console
                // answer ("ServiceNow MID Server ... started.") counts here.
                if source == Source::Output && is_service_console_start(&lower) {
                    self.reach(Milestone::ServiceStarted, &mut ev);
                }
            }
            Source::WrapperLog => {
                if is_service_start(&lower) {
                    self.reach(Milestone::ServiceStarted, &mut ev);
                }
                if lower.contains("startup failed: timed out waiting for a signal from the jvm") {
                    ev.push(WatchEvent::Warning(
                        "the JVM was slow to start (the wrapper retries)".to_string(),
                    ));
                }
            }
            Source::AgentLog => {
                if is_mid_started(line) {
                    self.reach(Milestone::MidStarted, &mut ev);
                }
                if line.contains("Successfully connected to instance") {
                    self.reach(Milestone::Connected, &mut ev);
                }
            }
        }
        self.check_up(ev)
    }

    pub fn probe(&mut self, probe: Probe, now: Duration) -> Vec<WatchEvent> {
        let mut ev = Vec::new();
        if self.outcome.is_some() {
            return ev;
        }
        match probe {
            Probe::Spawned => {
                self.last_activity = now;
                self.reach(Milestone::UpgradeStarted, &mut ev);
            }
            Probe::ProcessExited { code } => {
                self.last_activity = now;
                if code != Some(0) && !self.has(Milestone::MidStarted) {
                    let reason = match code {
                        Some(c) => format!(
                            "the upgrade process exited with code {c} before the MID started"
                        ),
                        None => "the upgrade process was killed before the MID started".to_string(),
                    };
                    let evidence = self
                        .recent
                        .iter()
                        .rev()
                        .take(CONTEXT_LINES)
                        .cloned()
                        .collect();
                    return self.finish(
                        Outcome::Failed {
                            reason,
                            code: Some(FindingCode::UpgradeFailed),
                            evidence,
                        },
                        ev,
                    );
                }
            }
            Probe::ServiceRunning(running) => {
                self.service_running = running;
                if running {
                    self.reach(Milestone::ServiceStarted, &mut ev);
                }
            }
            Probe::TempFolderGone => self.reach(Milestone::TempFolderCleaned, &mut ev),
            Probe::InstalledVersion(v) => {
                if let Some(target) = &self.cfg.target_version
                    && v.trim() == target.trim()
                {
                    self.reach(Milestone::VersionIsTarget, &mut ev);
                }
            }
            Probe::Instance { up, detail } => {
                if up {
                    self.reach(Milestone::InstanceUp, &mut ev);
                } else {
                    ev.push(WatchEvent::Warning(format!("instance: {detail}")));
                }
            }
        }
        self.check_up(ev)
    }

    /// Time passes: stall warnings and the overall timeout.
    pub fn tick(&mut self, now: Duration) -> Vec<WatchEvent> {
        let mut ev = Vec::new();
        if self.outcome.is_some() {
            return ev;
        }
        if now >= self.cfg.timeout {
            let last = self.reached.iter().max().copied();
            let evidence = self
                .recent
                .iter()
                .rev()
                .take(CONTEXT_LINES)
                .cloned()
                .collect();
            return self.finish(Outcome::TimedOut { last, evidence }, ev);
        }
        let quiet = now.saturating_sub(self.last_activity);
        if !self.stalled && quiet >= self.cfg.stall_after {
            self.stalled = true;
            ev.push(WatchEvent::Stalled { quiet_for: quiet });
        }
        ev
    }

    fn check_up(&mut self, ev: Vec<WatchEvent>) -> Vec<WatchEvent> {
        if self.missing_for_up().is_empty() {
            return self.finish(Outcome::Up, ev);
        }
        ev
    }

    fn finish(&mut self, outcome: Outcome, mut ev: Vec<WatchEvent>) -> Vec<WatchEvent> {
        ev.push(WatchEvent::Finished(outcome.clone()));
        self.outcome = Some(outcome);
        ev
    }

    fn reach(&mut self, m: Milestone, ev: &mut Vec<WatchEvent>) {
        if !self.reached.contains(&m) {
            self.reached.push(m);
            ev.push(WatchEvent::Reached(m));
        }
    }

    fn remember(&mut self, source: Source, line: &str) {
        if self.recent.len() == CONTEXT_LINES {
            self.recent.pop_front();
        }
        let mut l: String = line.chars().take(2000).collect();
        if l.len() < line.len() {
            l.push('…');
        }
        self.recent.push_back(format!("[{}] {l}", source.tag()));
    }

    /// Inside `UPGRADE MAIN LOG... START/END` markers, or an LPTM line of the upgrade JVM
    /// (`INFO   | jvm 1    | 2019/09/21 16:30:47.114 | ...`): the main wrapper.log uses
    /// `yyyy/MM/dd HH:mm:ss | message` instead.
    fn is_copied_upgrade_line(&mut self, line: &str) -> bool {
        let upper = line.to_ascii_uppercase();
        if upper.contains("UPGRADE MAIN LOG") {
            self.in_copied_upgrade_log = !upper.contains("END");
            return true;
        }
        if self.in_copied_upgrade_log {
            return true;
        }
        is_lptm_upgrade_line(line)
    }
}

fn is_lptm_upgrade_line(line: &str) -> bool {
    let mut cols = line.split('|').map(str::trim);
    let level = cols.next().unwrap_or("");
    let src = cols.next().unwrap_or("");
    let ts = cols.next().unwrap_or("");
    matches!(
        level,
        "INFO" | "WARN" | "ERROR" | "STATUS" | "DEBUG" | "FATAL"
    ) && src.starts_with("jvm")
        && ts.len() >= 19
        && ts.as_bytes().get(4) == Some(&b'/')
        && (line.contains("mid_upgrade") || line.contains("UpgradeMain") || ts.len() > 19)
}

fn is_lock_retry(lower: &str) -> bool {
    lower.contains("cannot be deleted")
        || lower.contains("being used by another process")
        || lower.contains("unable to delete")
}

fn is_file_work(lower: &str) -> bool {
    [
        "removing previous",
        "deleting",
        "replacing",
        "copying",
        "extracting",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn is_service_start(lower: &str) -> bool {
    lower.contains("--> wrapper started as")
        || lower.contains("launching a jvm")
        || is_service_console_start(lower)
}

/// `mid.sh start` / `start.bat` console lines (mid-server.md §2).
fn is_service_console_start(lower: &str) -> bool {
    lower.contains("starting servicenow mid server")
        || (lower.contains("servicenow mid server") && lower.trim_end().ends_with(" started."))
}

fn is_mid_started(line: &str) -> bool {
    line.contains("MID Server started")
        || line.contains("Initializing MID Server")
        || line.contains("MID Server starting")
}

/// Failure signatures that end the watch (mid-server.md §4.5, §8, through the shared table in
/// `mid::signatures`). Lock retries and slow JVM starts are not fatal: the upgrade and the wrapper
/// retry them. Where a line came from matters: a running MID logs unrelated `SEVERE` and
/// "Access is denied" lines (e.g. from discovery) in agent0.log.0, so those count only in the
/// upgrade's own output and log.
fn fatal(source: Source, line: &str, lower: &str) -> Option<(FindingCode, String)> {
    use FindingCode::*;
    let upgrade_output = matches!(source, Source::UpgradeLog | Source::Output);
    if let Some(code) = signatures::classify(line) {
        let fatal_here = match code {
            FileLocked | JreDeleteFailed | JvmStartTimeout | ServiceNotInstalled => false,
            UpgradeFailed | PrecheckFailed | WrapperNameMismatch | DiskSpace => true,
            MachineShutdown => source == Source::WrapperLog || upgrade_output,
            // The wrapper cannot run Java, or the MID cannot decrypt its password: the MID
            // will not come up, wherever it is said (KB0647664, KB0745202).
            JavaNotRunnable | ConfigDecryptFailed => true,
            // The launch's own refusal, gobbled into the agent log or printed by the script.
            UpgradeServiceConflict => upgrade_output || source == Source::AgentLog,
            UpgradeScenarioUnknown | UpgradeProcessUnattributed => false,
            AccessDenied | ApplicationExperience => {
                upgrade_output || line.contains("UpgradeException")
            }
            _ => upgrade_output,
        };
        if fatal_here {
            let (_, meaning) = signatures::describe(code);
            return Some((code, first_sentence(meaning)));
        }
    }
    if upgrade_output && (line.contains("UpgradeException") || is_severe(line)) {
        // The line may carry a known cause (e.g. a lock) that alone would only be retried.
        return Some(match signatures::classify(line) {
            Some(code) if code != UpgradeFailed => (
                code,
                format!(
                    "the upgrade stopped with an error: {}",
                    first_sentence(signatures::describe(code).1)
                ),
            ),
            _ => (
                UpgradeFailed,
                "the upgrade stopped with a SEVERE error".to_string(),
            ),
        });
    }
    if source == Source::WrapperLog && lower.contains("was launched, but failed to start") {
        return Some((
            JvmStartTimeout,
            "the MID service was launched but failed to start".to_string(),
        ));
    }
    None
}

fn is_severe(line: &str) -> bool {
    line.starts_with("SEVERE")
        || line.contains("| SEVERE")
        || line.contains("SEVERE:")
        || line.contains(" SEVERE ")
}

fn first_sentence(text: &str) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match t.find(". ") {
        Some(i) => t[..=i].to_string(),
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> WatchConfig {
        WatchConfig {
            stall_after: Duration::from_secs(60),
            timeout: Duration::from_secs(600),
            target_version: Some("tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048".into()),
            require_instance: false,
        }
    }

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn full_recovery_reaches_up_and_lock_retries_are_not_fatal() {
        let mut w = Watch::new(cfg());
        w.probe(Probe::Spawned, s(0));
        let ev = w.feed(
            Source::UpgradeLog,
            r"INFO   | jvm 1    | 2019/09/21 16:30:47.130 | C:\ServiceNow\agent\lib\a.jar cannot be deleted: C:\ServiceNow\agent\lib\a.jar (The process cannot access the file because it is being used by another process)",
            s(1),
        );
        assert!(ev.contains(&WatchEvent::Reached(Milestone::FilesReplacing)));
        assert_eq!(w.lock_retries(), 1);
        w.feed(Source::WrapperLog, "INFO   | jvm 1    | 2019/09/21 16:31:00.000 | ***********UPGRADE MAIN LOG START***********", s(2));
        w.feed(Source::WrapperLog, "INFO   | jvm 1    | 2019/09/21 16:31:00.000 | SEVERE: com.snc.dist.mid_upgrade.UpgradeException: old crash copied", s(2));
        w.feed(
            Source::WrapperLog,
            "***********UPGRADE MAIN LOG END***********",
            s(2),
        );
        assert!(
            w.outcome().is_none(),
            "copied upgrade log lines are not judged again"
        );
        assert!(w.has(Milestone::UpgradeLogAppended));
        w.feed(
            Source::WrapperLog,
            "2019/12/15 00:35:29 | --> Wrapper Started as Service",
            s(3),
        );
        w.probe(Probe::ServiceRunning(true), s(3));
        w.feed(
            Source::AgentLog,
            "2026-06-03T09:46:18.163-0400 INFO (MIDServer) [Main:292] Initializing MID Server 20",
            s(4),
        );
        w.feed(
            Source::AgentLog,
            "11/06/19 10:00:01 (123) MIDServer MID Server started",
            s(5),
        );
        w.probe(
            Probe::InstalledVersion("tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048".into()),
            s(6),
        );
        assert!(
            w.outcome().is_none(),
            "not connected yet: {:?}",
            w.missing_for_up()
        );
        let ev = w.feed(Source::AgentLog, "11/06/19 10:00:02 (456) StartupSequencer Successfully connected to instance: https://x.service-now.com/", s(7));
        assert_eq!(ev.last(), Some(&WatchEvent::Finished(Outcome::Up)));
    }

    #[test]
    fn wrong_version_keeps_waiting_and_times_out() {
        let mut w = Watch::new(cfg());
        w.probe(Probe::ServiceRunning(true), s(0));
        w.feed(Source::AgentLog, "MIDServer MID Server started", s(1));
        w.feed(
            Source::AgentLog,
            "StartupSequencer Successfully connected to instance:",
            s(1),
        );
        w.probe(Probe::InstalledVersion("sandiego-old".into()), s(2));
        assert!(w.outcome().is_none());
        assert_eq!(
            w.missing_for_up(),
            vec!["the installed version to equal the target"]
        );
        let ev = w.tick(s(600));
        assert!(matches!(
            ev.last(),
            Some(WatchEvent::Finished(Outcome::TimedOut {
                last: Some(Milestone::Connected),
                ..
            }))
        ));
    }

    #[test]
    fn upgrade_exception_fails_with_evidence() {
        let mut w = Watch::new(cfg());
        w.feed(Source::UpgradeLog, "INFO   | jvm 1    | 2019/09/21 16:30:47.114 | Sep 21, 2019 4:30:47 PM com.snc.dist.mid_upgrade.UpgradeMain copy", s(1));
        let ev = w.feed(
            Source::UpgradeLog,
            r"INFO   | jvm 1    | 2019/09/21 16:30:47.200 | SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: E:\x\agent\bin\wrapper-windows-x86-64.exe (Access is denied)",
            s(2),
        );
        let Some(WatchEvent::Finished(Outcome::Failed { code, evidence, .. })) = ev.last() else {
            panic!("expected failure, got {ev:?}");
        };
        assert_eq!(*code, Some(FindingCode::AccessDenied));
        assert!(evidence[0].contains("Access is denied"));
        assert_eq!(evidence.len(), 2);
        assert!(evidence[1].contains("UpgradeMain copy"));
        assert!(
            w.feed(Source::AgentLog, "MID Server started", s(3))
                .is_empty(),
            "finished watches ignore input"
        );
    }

    #[test]
    fn severe_in_agent_log_is_not_fatal_but_upgrade_failed_is() {
        let mut w = Watch::new(cfg());
        w.feed(
            Source::AgentLog,
            "2022-10-24T09:29:35.193+0200 SEVERE (ECCSender.1) [X:1] some transient error",
            s(1),
        );
        assert!(w.outcome().is_none());
        w.feed(
            Source::AgentLog,
            "AutoUpgrade.3600 SEVERE *** ERROR *** Upgrade failed.",
            s(2),
        );
        assert!(matches!(
            w.outcome(),
            Some(Outcome::Failed {
                code: Some(FindingCode::UpgradeFailed),
                ..
            })
        ));
    }

    #[test]
    fn non_zero_exit_before_start_fails_but_zero_exit_does_not() {
        let mut w = Watch::new(cfg());
        w.probe(Probe::ProcessExited { code: Some(0) }, s(1));
        assert!(w.outcome().is_none());
        let mut w = Watch::new(cfg());
        w.feed(Source::Output, "something went wrong", s(1));
        w.probe(Probe::ProcessExited { code: Some(1) }, s(2));
        let Some(Outcome::Failed { evidence, .. }) = w.outcome() else {
            panic!()
        };
        assert_eq!(evidence, &vec!["[output] something went wrong".to_string()]);
    }

    #[test]
    fn upgrade_jvm_launch_is_not_the_service_and_lock_exceptions_keep_their_cause() {
        let mut w = Watch::new(cfg());
        w.feed(
            Source::UpgradeLog,
            "STATUS | wrapper  | 2026/11/22 05:08:28.599 | Launching a JVM...",
            s(1),
        );
        assert!(!w.has(Milestone::ServiceStarted));
        w.feed(
            Source::UpgradeLog,
            "INFO   | jvm 1    | 2026/11/22 05:08:31.133 | SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.nio.file.FileSystemException: x/lib/mid.jar: The process cannot access the file because it is being used by another process.",
            s(2),
        );
        let Some(Outcome::Failed { code, reason, .. }) = w.outcome() else {
            panic!()
        };
        assert_eq!(*code, Some(FindingCode::FileLocked));
        assert!(
            reason.starts_with("the upgrade stopped with an error: "),
            "{reason}"
        );
    }

    #[test]
    fn stall_is_reported_once_and_rearmed_by_new_lines() {
        let mut w = Watch::new(cfg());
        assert!(w.tick(s(30)).is_empty());
        assert_eq!(
            w.tick(s(61)),
            vec![WatchEvent::Stalled { quiet_for: s(61) }]
        );
        assert!(w.tick(s(90)).is_empty());
        w.feed(
            Source::WrapperLog,
            "2019/12/15 00:35:58 | Launching a JVM...",
            s(100),
        );
        assert!(w.tick(s(150)).is_empty());
        assert_eq!(
            w.tick(s(161)),
            vec![WatchEvent::Stalled { quiet_for: s(61) }]
        );
    }

    #[test]
    fn instance_confirmation_is_required_when_asked() {
        let mut c = cfg();
        c.require_instance = true;
        c.target_version = None;
        let mut w = Watch::new(c);
        w.probe(Probe::ServiceRunning(true), s(0));
        w.feed(Source::AgentLog, "MID Server started", s(1));
        w.feed(Source::AgentLog, "Successfully connected to instance", s(1));
        assert!(w.outcome().is_none());
        w.probe(
            Probe::Instance {
                up: false,
                detail: "status Down".into(),
            },
            s(2),
        );
        assert!(w.outcome().is_none());
        w.probe(
            Probe::Instance {
                up: true,
                detail: String::new(),
            },
            s(3),
        );
        assert_eq!(w.outcome(), Some(&Outcome::Up));
    }

    #[test]
    fn kb_failures_that_keep_the_mid_down_end_the_watch() {
        for (source, line, want) in [
            (
                Source::WrapperLog,
                "2019/11/02 19:07:59 | The value of wrapper.java.command does not appear to be a java binary.",
                FindingCode::JavaNotRunnable,
            ),
            (
                Source::AgentLog,
                "05/15/19 10:38:22 (564) MIDServer SEVERE *** ERROR *** Unexpected exception, terminating the MID server java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting",
                FindingCode::ConfigDecryptFailed,
            ),
            (
                Source::Output,
                "ERROR | wrapperm | 2019/11/02 19:07:59 | The ServiceNow Platform Distribution Upgrade (midserver-lab) service is already started with status: START_PENDING",
                FindingCode::UpgradeServiceConflict,
            ),
        ] {
            let mut w = Watch::new(cfg());
            let ev = w.feed(source, line, s(1));
            let Some(WatchEvent::Finished(Outcome::Failed { code, .. })) = ev.last() else {
                panic!("{line}: expected failure, got {ev:?}");
            };
            assert_eq!(*code, Some(want), "{line}");
        }
        // The upgrade loop's warning alone does not end a watch.
        let mut w = Watch::new(cfg());
        let ev = w.feed(
            Source::AgentLog,
            "03/02/23 09:24:10 (512) AutoUpgrade.3600 WARNING *** WARNING *** Unable to determine upgrade scenario with current=a assigned=b",
            s(1),
        );
        assert!(
            !ev.iter()
                .any(|e| matches!(e, WatchEvent::Finished(Outcome::Failed { .. }))),
            "{ev:?}"
        );
    }
}
