//! The simulated Distribution Upgrade run by the lab's `glide-dist-upgrade` script (or in place
//! of the Windows script and wrapper exe): replays the upgrade on the lab's files on the real
//! clock, then starts the lab MID process. Runs in the foreground and exits 0 when the MID
//! service was started, 1 when the upgrade failed (or was refused), as the runner expects.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use super::scenario::{Crash, Rerun};
use super::state;
use super::upgrade::{Clock, Fault, Launch, Outcome, Upgrade};
use super::{MidStatus, SimTarget};
use crate::platform::Platform;
use crate::platform::exec::CommandSpec;

/// Print a line to stdout, ignoring a closed pipe: the upgrade must outlive whoever reads it.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// As `say!`, to stderr.
macro_rules! say_err {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

/// How often the re-run retries a lock that persists.
const RERUN_RETRIES: u32 = 6;

/// Arguments after the program, without the script's own arguments.
pub fn base_args(root: &Path, target: SimTarget) -> Vec<String> {
    vec![
        "--log-file".into(),
        state::internal_dir(root)
            .join("simulate.log")
            .to_string_lossy()
            .into_owned(),
        "lab".into(),
        "simulate".into(),
        "--lab".into(),
        root.to_string_lossy().into_owned(),
        "--target".into(),
        match target {
            SimTarget::Script => "script",
            SimTarget::WrapperExe => "wrapper-exe",
        }
        .into(),
    ]
}

/// The full command: `glide-dist-upgrade start` or `wrapper-windows-x86-64.exe -c ../conf/wrapper.conf`.
pub fn command_spec(exe: &Path, root: &Path, target: SimTarget) -> CommandSpec {
    let mut args = base_args(root, target);
    match target {
        SimTarget::Script => args.push("start".into()),
        SimTarget::WrapperExe => args.extend(["-c".into(), "../conf/wrapper.conf".into()]),
    }
    CommandSpec {
        program: exe.to_string_lossy().into_owned(),
        args,
        cwd: None,
    }
}

/// `midrescue lab simulate`: returns the process exit code.
pub fn simulate(root: &Path, target: SimTarget, args: &[String]) -> anyhow::Result<u8> {
    let info =
        super::read_lab_info(root).with_context(|| format!("{} is no lab", root.display()))?;
    let sc = super::scenario(&info.scenario).context("the lab names an unknown scenario")?;
    let name = info.mid_name.clone();
    if target == SimTarget::Script && args.first().map(String::as_str) != Some("start") {
        say!("Usage: glide-dist-upgrade {{ console | start | stop | restart | status }}");
        return Ok(1);
    }
    if target == SimTarget::Script
        && info.platform == Platform::Windows
        && sc.rerun == Rerun::WrapperOnly
    {
        // KB0779816: the one line that sends the operator to the wrapper fallback.
        say!("The ServiceNow Platform Distribution Upgrade ({name}) service is not installed.");
        return Ok(1);
    }
    if sc.rerun == Rerun::SameConflict {
        // KB0784389: the other MID of this name still holds the upgrade service.
        say!(
            "ERROR  | wrapperm | {} | The ServiceNow Platform Distribution Upgrade ({name}) service is already started with status: START_PENDING",
            chrono::Local::now().format("%Y/%m/%d %H:%M:%S")
        );
        return Ok(1);
    }
    let Some(temp) = info
        .temp_dir
        .clone()
        .filter(|t| t.join("upgrade-wrapper").is_dir())
    else {
        say_err!("No upgrade temp folder in this lab: there is nothing to upgrade.");
        return Ok(1);
    };
    let me = std::process::id();
    if let Some(pid) = info.simulator_pid
        && pid != me
        && state::is_lab_process(pid, root)
    {
        say!(
            "ERROR  | wrapperm | {} | The ServiceNow Platform Distribution Upgrade ({name}) service is already started with status: START_PENDING",
            chrono::Local::now().format("%Y/%m/%d %H:%M:%S")
        );
        return Ok(1);
    }
    let info = state::update_info(root, |i| {
        i.simulator_pid = Some(me);
        i.mid_status = MidStatus::Upgrading;
        i.status_changed_at = chrono::Local::now().to_rfc3339();
        i.reruns += 1;
        i.stop_requested = false;
        i.clone()
    })?;
    let exe = match &info.exe {
        Some(e) => e.clone(),
        None => std::env::current_exe()?,
    };
    if info.instance.is_some()
        && !info
            .instance_pid
            .is_some_and(|p| state::is_lab_process(p, root))
    {
        let _ = state::spawn_lab_process(&exe, root, "instance", &[]);
    }
    let fault = match (sc.rerun, sc.crash) {
        // Only while the lock holder lives: once the trainee stops it, the re-run goes through.
        (Rerun::FailsAgain, Crash::Locked(rel)) if super::lock_holder::holder(root).is_some() => {
            Fault::Locked {
                rel: rel.to_string(),
                retries: RERUN_RETRIES,
            }
        }
        _ => Fault::None,
    };
    let launch = match (target, info.platform) {
        (SimTarget::WrapperExe, _) => Launch::Console,
        (_, Platform::Windows) => Launch::Service,
        (_, Platform::Linux) => Launch::Daemon,
    };
    if target == SimTarget::Script {
        say!("Starting ServiceNow Platform Distribution Upgrade ({name})...");
    }
    let agent = root.join("agent");
    let mut upgrade = Upgrade {
        agent: &agent,
        temp: &temp,
        platform: info.platform,
        era: sc.era,
        name: &name,
        target_version: &info.target_version,
        fault,
        clock: Clock::Real {
            speed: state::effective_speed(&info),
            root: root.to_path_buf(),
        },
        launch,
        echo: target == SimTarget::WrapperExe,
    };
    let outcome = upgrade.run();
    tracing::info!(?outcome, "lab upgrade replay finished");
    let code = match outcome {
        Outcome::Completed => {
            let pid = state::spawn_lab_process(&exe, root, "mid-process", &[])?;
            let started = state::wait_until(Duration::from_secs(10), || {
                super::read_lab_info(root).is_ok_and(|i| i.mid_pid == Some(pid))
            });
            if started {
                say!("ServiceNow MID Server_{name} started.");
                0
            } else {
                say_err!(
                    "The ServiceNow MID Server_{name} service was launched, but failed to start."
                );
                1
            }
        }
        Outcome::Failed => {
            say_err!(
                "The Distribution Upgrade failed: see {}",
                temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log")
                    .display()
            );
            1
        }
        Outcome::Aborted => 1,
    };
    let _ = state::update_info(root, |i| {
        if i.simulator_pid == Some(me) {
            i.simulator_pid = None;
        }
        if code != 0 && i.mid_status == MidStatus::Upgrading {
            i.mid_status = MidStatus::Down;
            i.status_changed_at = chrono::Local::now().to_rfc3339();
        }
    });
    Ok(code)
}
