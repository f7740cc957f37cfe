//! The KB plan (KB0779816): exactly what would run, from where and as whom, decided before
//! anything runs (pure, testable for both platforms).
//!
//! Where it runs from: the KB says "in `<temp>/upgrade-wrapper/bin/` run `./glide-dist-upgrade.sh
//! start`", while the MID itself runs `bin/glide-dist-upgrade.sh start` from `upgrade-wrapper`.
//! That both work shows the script finds its own folder (the Tanuki launch scripts resolve
//! `$0`/`%~dp0`), so we run it by its absolute path with the working directory outside the temp
//! folder (safety rule 3: a working directory inside it would keep it from being cleaned up on
//! Windows). The wrapper fallback gets an absolute `-c` path for the same reason. Plans keep the
//! KB's own form for display, so the operator sees what the KB told them to type.
//!
//! A training lab plugs in through [`StandIn`]: the host gives the plan a stand-in command (the
//! lab's simulator) and the plan says so (`simulated`), keeping the real command for display.

use std::path::{Path, PathBuf};

use crate::mid::report::UpgradeReport;
use crate::platform::Platform;
use crate::platform::exec::CommandSpec;

/// Which command of the recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// `glide-dist-upgrade.{sh,bat} start`.
    Script,
    /// `wrapper-windows-x86-64.exe -c ..\conf\wrapper.conf` (when the script says the service is
    /// not installed).
    WrapperFallback,
}

/// Everything about one run, decided before anything runs (and printed by `--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    pub kind: RunKind,
    /// What is started (for a lab: the simulator).
    pub spec: CommandSpec,
    /// What a real host runs (equals `spec` unless `simulated`).
    pub real: CommandSpec,
    /// The command as the KB writes it, run from `kb_folder`.
    pub kb_command: String,
    pub kb_folder: PathBuf,
    /// The account it runs as.
    pub user: String,
    /// Why root is needed (Linux), when it is.
    pub needs_root: Option<String>,
    /// The child's stdout and stderr land here (beside the bundle, outside the MID tree).
    pub tee_path: PathBuf,
    /// What the operator should expect, in plain words.
    pub expected: String,
    /// True when `spec` is the lab's simulator rather than the real command.
    pub simulated: bool,
    /// Whether what would run may be trusted (`provenance`), checked when the plan was made.
    pub trust: crate::platform::provenance::Trust,
}

/// A stand-in for the real command: a training lab's simulator. `None` runs the real command.
pub trait StandIn: Send + Sync {
    fn command(&self, kind: RunKind) -> Option<CommandSpec>;
}

/// The facts a plan needs besides the upgrade report (given, so plans stay pure).
#[derive(Clone)]
pub struct PlanInputs<'a> {
    pub platform: Platform,
    pub upgrade: &'a UpgradeReport,
    pub stand_in: Option<&'a dyn StandIn>,
    /// Folder of the bundle; the tee file goes here and the child's working directory is here.
    pub out_dir: &'a Path,
    /// File-name-safe timestamp for the tee file, e.g. `20261122-051500`.
    pub stamp: &'a str,
    pub user: String,
    pub needs_root: Option<String>,
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    NoTempFolder,
    ScriptMissing(PathBuf),
    ScriptNotExecutable(PathBuf),
    NoFallback(String),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::NoTempFolder => write!(
                f,
                "the upgrade temp folder is unknown, so there is no script to re-run (manual procedure: KB0713557)"
            ),
            PlanError::ScriptMissing(p) => write!(
                f,
                "the upgrade script {} is missing (manual procedure: KB0713557)",
                p.display()
            ),
            PlanError::ScriptNotExecutable(p) => write!(
                f,
                "{} is not executable (KB0690910): run `chmod +x {}` and, if its folder is on a noexec mount, `mount -o remount,exec <mount>`, then try again",
                p.display(),
                p.display()
            ),
            PlanError::NoFallback(why) => write!(f, "no wrapper fallback: {why}"),
        }
    }
}

impl std::error::Error for PlanError {}

impl PlanError {
    /// What the operator can do about it.
    pub fn next_step(&self) -> &'static str {
        match self {
            PlanError::ScriptNotExecutable(_) => {
                "Make the script executable as the reason says, then run the recovery again."
            }
            PlanError::NoFallback(_) => {
                "Use the manual procedure KB0713557, and send the bundle to ServiceNow support."
            }
            PlanError::NoTempFolder | PlanError::ScriptMissing(_) => {
                "The re-run path is closed: use the manual procedure KB0713557 (back up config.xml, \
wrapper-override.conf and cacerts, install a fresh agent folder, restore them)."
            }
        }
    }
}

const SCRIPT_SH: &str = "glide-dist-upgrade.sh";
const SCRIPT_BAT: &str = "glide-dist-upgrade.bat";
const WRAPPER_WIN: &str = "wrapper-windows-x86-64.exe";
const WRAPPER_LINUX: &str = "wrapper-linux-x86-64";

/// Join path parts with the separator of `platform` (Windows paths are built on Linux too).
fn join(platform: Platform, base: &Path, parts: &[&str]) -> PathBuf {
    match platform {
        Platform::Linux => parts.iter().fold(base.to_path_buf(), |p, x| p.join(x)),
        Platform::Windows => {
            let mut s = base
                .to_string_lossy()
                .trim_end_matches(['\\', '/'])
                .to_string();
            for p in parts {
                s.push('\\');
                s.push_str(p);
            }
            PathBuf::from(s)
        }
    }
}

/// Parent folder for either separator (a Windows path seen on Linux has no `/`).
fn parent(platform: Platform, p: &Path) -> Option<PathBuf> {
    match platform {
        Platform::Linux => p.parent().map(Path::to_path_buf),
        Platform::Windows => {
            let s = p.to_string_lossy();
            let s = s.trim_end_matches(['\\', '/']);
            s.rfind(['\\', '/']).map(|i| PathBuf::from(&s[..i]))
        }
    }
}

/// `upgrade-wrapper/bin` of the upgrade, from the report's script path or its temp folder.
fn wrapper_bin(inp: &PlanInputs) -> Result<PathBuf, PlanError> {
    if let Some(script) = &inp.upgrade.script
        && let Some(bin) = parent(inp.platform, script)
    {
        return Ok(bin);
    }
    let temp = inp
        .upgrade
        .temp_dir
        .as_ref()
        .ok_or(PlanError::NoTempFolder)?;
    Ok(join(inp.platform, temp, &["upgrade-wrapper", "bin"]))
}

fn tee_path(inp: &PlanInputs, kind: RunKind) -> PathBuf {
    let what = match kind {
        RunKind::Script => "upgrade-output",
        RunKind::WrapperFallback => "upgrade-fallback-output",
    };
    inp.out_dir.join(format!("{what}-{}.log", inp.stamp))
}

/// A lab's stand-in for the command, when the lab needs one (a Windows-layout lab on this
/// host); `None` runs the real command (a Linux-layout lab's script is real and calls the
/// simulator itself).
fn simulated(inp: &PlanInputs, kind: RunKind) -> Option<CommandSpec> {
    let mut spec = inp.stand_in?.command(kind)?;
    if spec.cwd.is_none() {
        spec.cwd = Some(inp.out_dir.to_path_buf());
    }
    Some(spec)
}

const EXPECTED: &str = "The Distribution Upgrade replaces files in agent/bin, lib and jre, then starts the MID \
service itself (usually 10 s to a few minutes). When the MID is Up it deletes the upgrade temp folder.";

/// The plan for `glide-dist-upgrade.{sh,bat} start`.
pub fn plan_script(inp: &PlanInputs) -> Result<RunPlan, PlanError> {
    let bin = wrapper_bin(inp)?;
    let name = match inp.platform {
        Platform::Linux => SCRIPT_SH,
        Platform::Windows => SCRIPT_BAT,
    };
    let script = inp
        .upgrade
        .script
        .clone()
        .unwrap_or_else(|| join(inp.platform, &bin, &[name]));
    let sim = simulated(inp, RunKind::Script);
    if sim.is_none() && !inp.upgrade.script_exists {
        return Err(PlanError::ScriptMissing(script));
    }
    // A lab's stand-in too: the real script would not run, so the lab must not pretend it does.
    if inp.upgrade.script_executable == Some(false) {
        return Err(PlanError::ScriptNotExecutable(script));
    }
    let script_s = script.to_string_lossy().into_owned();
    let (real, kb_command) = match inp.platform {
        Platform::Linux => {
            let sudo = if inp.needs_root.is_some() {
                "sudo "
            } else {
                ""
            };
            (
                CommandSpec::new(script_s, &["start"]),
                format!("{sudo}./{SCRIPT_SH} start"),
            )
        }
        // The .bat itself, not `cmd.exe /C <script> start`: Rust's std runs a batch file
        // through cmd with its own escaping, while a hand-made `cmd /C` line loses its quotes as
        // soon as a second argument is quoted (a path with spaces: C:\Program Files\...).
        Platform::Windows => (
            CommandSpec::new(script_s, &["start"]),
            format!("{SCRIPT_BAT} start"),
        ),
    };
    Ok(finish_plan(
        inp,
        RunKind::Script,
        real,
        sim,
        kb_command,
        bin,
    ))
}

/// The plan for the wrapper fallback (KB0779816: when the script only says the service is not
/// installed). Windows as the KB documents it; Linux only when the upgrade ships a Linux wrapper.
pub fn plan_fallback(inp: &PlanInputs) -> Result<RunPlan, PlanError> {
    let bin = wrapper_bin(inp)?;
    let upgrade_wrapper = parent(inp.platform, &bin)
        .ok_or_else(|| PlanError::NoFallback("no upgrade-wrapper folder".into()))?;
    let conf = inp
        .upgrade
        .wrapper_conf
        .clone()
        .unwrap_or_else(|| join(inp.platform, &upgrade_wrapper, &["conf", "wrapper.conf"]));
    let sim = simulated(inp, RunKind::WrapperFallback);
    let (exe, kb_command) = match inp.platform {
        Platform::Windows => (
            inp.upgrade
                .wrapper_exe
                .clone()
                .unwrap_or_else(|| join(inp.platform, &bin, &[WRAPPER_WIN])),
            format!("{WRAPPER_WIN} -c ..\\conf\\wrapper.conf"),
        ),
        Platform::Linux => (
            join(inp.platform, &bin, &[WRAPPER_LINUX]),
            format!("./{WRAPPER_LINUX} -c ../conf/wrapper.conf"),
        ),
    };
    if sim.is_none() && inp.platform == Platform::Linux && !exe.is_file() {
        return Err(PlanError::NoFallback(format!(
            "KB0779816 documents it for Windows, and {} does not exist",
            exe.display()
        )));
    }
    let real = CommandSpec::new(exe.to_string_lossy(), &["-c", &conf.to_string_lossy()]);
    Ok(finish_plan(
        inp,
        RunKind::WrapperFallback,
        real,
        sim,
        kb_command,
        bin,
    ))
}

fn finish_plan(
    inp: &PlanInputs,
    kind: RunKind,
    mut real: CommandSpec,
    sim: Option<CommandSpec>,
    kb_command: String,
    kb_folder: PathBuf,
) -> RunPlan {
    real.cwd = Some(inp.out_dir.to_path_buf());
    let simulated = sim.is_some();
    RunPlan {
        kind,
        spec: sim.unwrap_or_else(|| real.clone()),
        real,
        kb_command,
        kb_folder,
        user: inp.user.clone(),
        needs_root: inp.needs_root.clone(),
        tee_path: tee_path(inp, kind),
        expected: EXPECTED.to_string(),
        simulated,
        trust: crate::platform::provenance::Trust::Trusted,
    }
}

/// The file whose provenance decides whether the plan may run: the script, or the wrapper.
/// `None` for a Windows-layout lab, whose stand-in is midrescue's own binary.
pub fn payload(plan: &RunPlan, upgrade: &UpgradeReport) -> Option<PathBuf> {
    if plan.simulated && plan.spec.program != plan.real.program {
        return None;
    }
    match plan.kind {
        RunKind::Script => upgrade.script.clone(),
        RunKind::WrapperFallback => Some(PathBuf::from(&plan.real.program)),
    }
}

/// Check the plan's payload on this host (`provenance`).
pub fn check_trust(install: &super::Install, plan: &RunPlan) -> crate::platform::provenance::Trust {
    let none = UpgradeReport::default();
    let upgrade = install.report.upgrade.as_ref().unwrap_or(&none);
    match payload(plan, upgrade) {
        None => crate::platform::provenance::Trust::Trusted,
        Some(file) => crate::platform::provenance::check(
            &file,
            &crate::platform::provenance::Bounds {
                temp_roots: install.temp_roots.clone(),
                agent_dir: install.report.agent_dir.clone(),
            },
            &crate::platform::exec::SystemExec::default(),
        ),
    }
}

/// The plan for `kind` on `install`, with this host's user and privilege facts. Output files go
/// to `out_dir` (beside the bundle, outside the MID tree).
pub fn make_plan(
    install: &super::Install,
    out_dir: &Path,
    kind: RunKind,
) -> Result<RunPlan, PlanError> {
    use crate::platform::privilege;
    let report = &install.report;
    let none = UpgradeReport::default();
    let upgrade = report.upgrade.as_ref().unwrap_or(&none);
    let needs_root = if install.is_lab() {
        None
    } else {
        privilege::root_needed(
            report.platform,
            &report.agent_dir,
            privilege::systemd_unit_exists(report.service.name.as_deref()),
        )
    };
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let inp = PlanInputs {
        platform: report.platform,
        upgrade,
        stand_in: install.stand_in.as_deref(),
        out_dir,
        stamp: &stamp,
        user: privilege::current_user(),
        needs_root,
    };
    let mut plan = match kind {
        RunKind::Script => plan_script(&inp),
        RunKind::WrapperFallback => plan_fallback(&inp),
    }?;
    plan.trust = check_trust(install, &plan);
    plan.tee_path = free_name(&plan.tee_path);
    Ok(plan)
}

/// `path`, or `<stem>-2.log`, `-3`… when a run in the same second already used it (the file is
/// created exclusively, so a taken name would stop the run).
fn free_name(path: &Path) -> PathBuf {
    let taken = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    if !taken(path) {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    (2..1000)
        .map(|n| path.with_file_name(format!("{stem}-{n}.log")))
        .find(|p| !taken(p))
        .unwrap_or_else(|| path.to_path_buf())
}

/// The single-line answer of a script whose temporary service is gone: "The ServiceNow Platform
/// Distribution Upgrade (xxx) service is not installed" (mid-server.md §0). Tolerant of the
/// newer "AI Platform" name and of case.
pub fn says_service_not_installed(line: &str) -> bool {
    line.to_ascii_lowercase()
        .contains("service is not installed")
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_second_run_in_the_same_second_gets_its_own_output_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("upgrade-output-20261205-224547.log");
        assert_eq!(free_name(&p), p);
        std::fs::write(&p, "first").unwrap();
        let second = free_name(&p);
        assert_eq!(
            second,
            d.path().join("upgrade-output-20261205-224547-2.log")
        );
        std::fs::write(&second, "second").unwrap();
        assert_eq!(
            free_name(&p),
            d.path().join("upgrade-output-20261205-224547-3.log")
        );
    }

    use super::*;

    fn report(temp: &str, script: &str, platform_exe: Option<&str>) -> UpgradeReport {
        UpgradeReport {
            temp_dir: Some(PathBuf::from(temp)),
            temp_dir_source: None,
            marker_line: None,
            script: Some(PathBuf::from(script)),
            script_exists: true,
            script_executable: None,
            wrapper_conf: None,
            wrapper_exe: platform_exe.map(PathBuf::from),
            upgrade_log: None,
            started_at: None,
        }
    }

    fn inputs<'a>(platform: Platform, up: &'a UpgradeReport, out: &'a Path) -> PlanInputs<'a> {
        PlanInputs {
            platform,
            upgrade: up,
            stand_in: None,
            out_dir: out,
            stamp: "20261122-051500",
            user: "svc".into(),
            needs_root: None,
        }
    }

    #[test]
    fn windows_script_runs_by_its_absolute_path_outside_temp() {
        let up = report(
            r"C:\ServiceNow\MID Server1\agent\work\upgrade_temp\1569035472492-0",
            r"C:\ServiceNow\MID Server1\agent\work\upgrade_temp\1569035472492-0\upgrade-wrapper\bin\glide-dist-upgrade.bat",
            None,
        );
        let out = Path::new(r"C:\Users\ops\midrescue");
        let plan = plan_script(&inputs(Platform::Windows, &up, out)).unwrap();
        assert!(
            plan.spec
                .program
                .ends_with(r"upgrade-wrapper\bin\glide-dist-upgrade.bat")
        );
        assert!(plan.spec.program.starts_with(r"C:\ServiceNow\MID Server1\"));
        assert_eq!(plan.spec.args, vec!["start".to_string()]);
        assert_eq!(plan.spec.cwd.as_deref(), Some(out));
        assert_eq!(plan.kb_command, "glide-dist-upgrade.bat start");
        assert_eq!(
            plan.kb_folder,
            PathBuf::from(
                r"C:\ServiceNow\MID Server1\agent\work\upgrade_temp\1569035472492-0\upgrade-wrapper\bin"
            )
        );
        assert!(!plan.simulated);
        assert_eq!(plan.real, plan.spec);
        assert_eq!(
            plan.tee_path,
            out.join("upgrade-output-20261122-051500.log")
        );
    }

    #[test]
    fn windows_fallback_uses_wrapper_exe_with_absolute_conf() {
        let temp = r"C:\WINDOWS\TEMP\1569035472492-0";
        let up = report(
            temp,
            &format!(r"{temp}\upgrade-wrapper\bin\glide-dist-upgrade.bat"),
            None,
        );
        let out = Path::new(r"C:\out");
        let plan = plan_fallback(&inputs(Platform::Windows, &up, out)).unwrap();
        assert_eq!(plan.kind, RunKind::WrapperFallback);
        assert_eq!(
            plan.spec.program,
            format!(r"{temp}\upgrade-wrapper\bin\wrapper-windows-x86-64.exe")
        );
        assert_eq!(
            plan.spec.args,
            vec![
                "-c".to_string(),
                format!(r"{temp}\upgrade-wrapper\conf\wrapper.conf")
            ]
        );
        assert_eq!(
            plan.kb_command,
            r"wrapper-windows-x86-64.exe -c ..\conf\wrapper.conf"
        );
    }

    #[test]
    fn linux_script_is_run_by_absolute_path_and_sudo_shown_when_root_needed() {
        let up = report(
            "/opt/servicenow/mid/agent/work/upgrade_temp/1700000000000-0",
            "/opt/servicenow/mid/agent/work/upgrade_temp/1700000000000-0/upgrade-wrapper/bin/glide-dist-upgrade.sh",
            None,
        );
        let out = Path::new("/home/ops/out");
        let mut inp = inputs(Platform::Linux, &up, out);
        inp.needs_root = Some("the install belongs to root".into());
        let plan = plan_script(&inp).unwrap();
        assert_eq!(
            plan.spec.program,
            up.script.as_ref().unwrap().to_string_lossy()
        );
        assert_eq!(plan.spec.args, vec!["start"]);
        assert_eq!(plan.spec.cwd.as_deref(), Some(out));
        assert_eq!(plan.kb_command, "sudo ./glide-dist-upgrade.sh start");
    }

    #[test]
    fn missing_or_non_executable_script_is_a_clear_error() {
        let mut up = report("/t", "/t/upgrade-wrapper/bin/glide-dist-upgrade.sh", None);
        up.script_executable = Some(false);
        let out = Path::new("/o");
        let err = plan_script(&inputs(Platform::Linux, &up, out)).unwrap_err();
        assert!(err.to_string().contains("chmod +x"));
        up.script_exists = false;
        assert!(matches!(
            plan_script(&inputs(Platform::Linux, &up, out)),
            Err(PlanError::ScriptMissing(_))
        ));
        up.temp_dir = None;
        up.script = None;
        assert_eq!(
            plan_script(&inputs(Platform::Linux, &up, out)),
            Err(PlanError::NoTempFolder)
        );
    }

    #[test]
    fn linux_fallback_needs_a_shipped_linux_wrapper() {
        let up = report(
            "/nonexistent/t",
            "/nonexistent/t/upgrade-wrapper/bin/glide-dist-upgrade.sh",
            None,
        );
        assert!(matches!(
            plan_fallback(&inputs(Platform::Linux, &up, Path::new("/o"))),
            Err(PlanError::NoFallback(_))
        ));
    }

    #[test]
    fn service_not_installed_answer_is_recognised() {
        assert!(says_service_not_installed(
            "The ServiceNow Platform Distribution Upgrade (midserver-lab) service is not installed - The specified service does not exist as an installed service. (0x424)"
        ));
        assert!(says_service_not_installed(
            "wrapper  | The ServiceNow AI Platform Distribution Upgrade (x) Service is not installed."
        ));
        assert!(!says_service_not_installed("wrapper  | Launching a JVM..."));
    }
}
