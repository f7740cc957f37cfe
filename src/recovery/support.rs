//! The one way to build a support bundle: `collect`, `resume` and the wizard's first and final
//! bundles all come through [`build_bundle`], so every bundle holds the same facts (`system.txt`
//! with the service answer, the java/wrapper processes and the systemd unit).
//!
//! A final bundle (after a run) is built on a fresh detect of the install as it is *now*, and
//! adds the `recovery.json` record, the re-run's captured output, the upgrade log as read during
//! the run (the MID deletes its folder once Up) and the journal.

use std::path::{Path, PathBuf};

use crate::bundle::record::{RECOVERY_SCHEMA, RecoveryRecord};
use crate::bundle::{self, BundleSummary, CollectOptions, ExtraFile, Progress, SystemFacts};
use crate::mid::confs;
use crate::mid::report::DetectReport;
use crate::platform::Platform;
use crate::platform::exec::Exec;
use crate::platform::service::{ServiceStatus, processes};

use super::Install;
use super::session::RunReport;

/// What goes into a final bundle besides the install's own files.
#[derive(Debug, Clone, Default)]
pub struct AfterRun {
    pub run: Option<RunReport>,
    /// The copy of `glide-dist-upgrade.log` kept while following it.
    pub upgrade_log_copy: Option<PathBuf>,
    /// The wizard's journal.
    pub journal: Option<PathBuf>,
}

/// One bundle to build.
pub struct BundleRequest<'a> {
    pub install: &'a Install,
    /// Collect options (output folder, budget, level...); the extra files are added here.
    pub options: CollectOptions,
    /// `Some` for a final bundle.
    pub after_run: Option<AfterRun>,
}

/// Build the bundle: gather the system facts, re-detect for a final bundle, collect.
pub fn build_bundle(
    req: BundleRequest<'_>,
    exec: &dyn Exec,
    progress: &mut dyn FnMut(Progress),
) -> anyhow::Result<BundleSummary> {
    let install = req.install;
    let mut opts = req.options;
    let mut fresh: Option<DetectReport> = None;
    if let Some(after) = &req.after_run {
        // The install as it is now (e.g. healthy after a recovery), not as it was.
        match redetect(install) {
            Ok(r) => fresh = Some(r),
            Err(e) => tracing::warn!("final bundle: detect again failed: {e:#}"),
        }
        add_after_run(&mut opts, after);
    }
    let report = fresh.as_ref().unwrap_or(&install.report);
    let quick = quick_facts(install, report);
    // The service query and the process list take a process each (PowerShell's can take
    // seconds on Windows): they run while the files are read and compressed, and are waited
    // for only when `system.txt` is written.
    std::thread::scope(|s| {
        // Caught, so that a bundle that fails before asking for these never panics the scope.
        let slow = s.spawn(|| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| slow_facts(install, exec)))
        });
        let quick_ref = &quick;
        let all = move || {
            let mut f = quick_ref.clone();
            match slow.join() {
                Ok(Ok(s)) => s.fill(&mut f),
                _ => f
                    .notes
                    .push("service state and process list unavailable: the query failed".into()),
            }
            f
        };
        bundle::collect_with(&opts, report, &quick, all, progress)
    })
}

fn redetect(install: &Install) -> anyhow::Result<DetectReport> {
    crate::mid::detect::detect(&install.report.agent_dir, install)
}

fn add_after_run(opts: &mut CollectOptions, after: &AfterRun) {
    let mut files = Vec::new();
    let mut add = |source: &Path, zip_path: String| {
        if source.is_file() {
            files.push(zip_path.clone());
            opts.extra_files.push(ExtraFile {
                source: source.to_path_buf(),
                zip_path,
            });
        }
    };
    if let Some(j) = &after.journal {
        add(j, "midrescue/journal.txt".into());
    }
    if let Some(u) = &after.upgrade_log_copy {
        add(u, "midrescue/glide-dist-upgrade.log".into());
    }
    if let Some(run) = &after.run {
        for (i, out) in run.output_files.iter().enumerate() {
            add(out, format!("midrescue/rerun-output-{}.log", i + 1));
        }
        opts.recovery = Some(RecoveryRecord {
            schema_version: RECOVERY_SCHEMA,
            outcome: run.outcome,
            reason: run.reason.clone(),
            next_step: run.next_step.clone(),
            milestones: run.milestones.clone(),
            fallback_used: run.fallback_used,
            lock_retries: run.lock_retries,
            started_at: run.started_at,
            ended_at: run.ended_at,
            files,
        });
    }
}

/// The service answer (with its raw output) and the java/wrapper processes: a process each.
struct SlowFacts {
    service: ServiceStatus,
    processes: String,
    note: Option<String>,
}

impl SlowFacts {
    fn fill(self, facts: &mut SystemFacts) {
        facts.service = Some(self.service);
        facts.processes = self.processes;
        facts.notes.extend(self.note);
    }
}

/// The facts for `system.txt` that cost no process: OS, host, the lab note, the systemd unit.
fn quick_facts(install: &Install, report: &DetectReport) -> SystemFacts {
    let mut facts = SystemFacts::this_host();
    if install.is_lab() {
        facts
            .notes
            .push("this install is a midrescue training lab".to_string());
    }
    if report.platform == Platform::Linux {
        let root: PathBuf = install
            .lab_root
            .clone()
            .unwrap_or_else(|| PathBuf::from("/"));
        let name = report
            .service
            .name
            .clone()
            .or_else(|| confs::read_shconf(&report.agent_dir).app_name)
            .unwrap_or_else(|| "mid".into());
        if cfg!(unix) || install.is_lab() {
            facts.unit_file = confs::read_unit(&root, &name).map(|(p, _)| p);
        }
    }
    facts
}

fn slow_facts(install: &Install, exec: &dyn Exec) -> SlowFacts {
    let service = install.service.query();
    let list_platform = Platform::host();
    let mut spec = processes::list_spec(list_platform);
    spec.cwd = Some(std::env::temp_dir());
    let (processes, note) = match exec.run(&spec) {
        Ok(out) => {
            let rows: Vec<String> = processes::parse_list(list_platform, &out.stdout)
                .into_iter()
                .filter(|p| is_java_or_wrapper(&p.command_line))
                .map(|p| format!("{}\t{}", p.pid, p.command_line))
                .collect();
            let text = if rows.is_empty() {
                "(no java or wrapper process running)\n".into()
            } else {
                rows.join("\n") + "\n"
            };
            (text, None)
        }
        Err(e) => (
            String::new(),
            Some(format!(
                "process list unavailable: `{}`: {e}",
                spec.display()
            )),
        ),
    };
    SlowFacts {
        service,
        processes,
        note,
    }
}

fn is_java_or_wrapper(cmd: &str) -> bool {
    let first = cmd.split_whitespace().next().unwrap_or("");
    let exe = first
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(first)
        .to_ascii_lowercase();
    exe == "java"
        || exe == "java.exe"
        || exe.starts_with("wrapper")
        || cmd.contains("service_now.mid")
        || cmd.contains("glide-dist-upgrade")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_filter() {
        assert!(is_java_or_wrapper(
            "/opt/mid/agent/jre/bin/java -cp x com.service_now.mid.Main"
        ));
        assert!(is_java_or_wrapper(
            "C:\\mid\\agent\\bin\\wrapper-windows-x86-64.exe -s x"
        ));
        assert!(!is_java_or_wrapper("bash -l"));
    }
}
