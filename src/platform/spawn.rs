//! Starting the recovery command detached from us (the platform primitive; what to start is
//! decided in `recovery`).
//!
//! The child's stdout and stderr go straight into a file we created (no pipe to us), so the
//! upgrade never depends on us: our exit, a crash or SIGHUP cannot give it a SIGPIPE or a full
//! pipe. It runs in its own session (Unix) or process group without a console (Windows).

use std::fs::File;
use std::io::Write;
use std::process::{Child, Command, Stdio};

use anyhow::Context;

use super::detach::detach;
use super::exec::CommandSpec;

/// A started process. Dropping it does not stop the process.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pub pid: u32,
}

impl Running {
    /// The exit code once the process has ended (`Some(None)`: ended by a signal); never blocks.
    pub fn try_exit(&mut self) -> std::io::Result<Option<Option<i32>>> {
        Ok(self.child.try_wait()?.map(|s| s.code()))
    }
}

/// Start `spec` detached, its output appended to `output` after a header line naming the
/// command. `spec.cwd` must be outside the MID tree (safety rule 3). Variables named in
/// `scrub_env` are removed from the child's environment (credentials never reach it).
pub fn spawn_detached(
    spec: &CommandSpec,
    mut output: File,
    scrub_env: &[&str],
) -> anyhow::Result<Running> {
    writeln!(
        output,
        "# midrescue {}: {} (working directory {})",
        chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        spec.display(),
        spec.cwd
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    )?;
    output.flush()?;
    // Same rule as `SystemExec`: a bare name never resolves to a planted file.
    let program = crate::platform::system_tool::resolve(&spec.program)?;
    let mut cmd = Command::new(program);
    cmd.args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(output.try_clone()?))
        .stderr(Stdio::from(output));
    for var in scrub_env {
        cmd.env_remove(var);
    }
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    detach(&mut cmd);
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {}", spec.display()))?;
    let pid = child.id();
    tracing::info!(pid, command = %spec.display(), "process started detached");
    Ok(Running { child, pid })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn spawned_process_is_detached_and_its_output_lands_in_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("fake-upgrade.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\necho out line\necho err line >&2\necho \"secret=${MIDRESCUE_TEST_SECRET:-gone}\"\nsleep 0.3\nexit 3\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let tee = dir.path().join("tee.log");
        let spec = CommandSpec {
            program: script.to_string_lossy().into_owned(),
            args: vec!["start".into()],
            cwd: Some(dir.path().to_path_buf()),
        };
        // SAFETY: test-only; no other thread of this test reads the variable.
        unsafe { std::env::set_var("MIDRESCUE_TEST_SECRET", "hunter2") };
        let mut running = spawn_detached(
            &spec,
            File::create(&tee).unwrap(),
            &["MIDRESCUE_TEST_SECRET"],
        )
        .unwrap();
        let (ours, theirs) = (
            nix::unistd::getsid(None).unwrap(),
            nix::unistd::getsid(Some(nix::unistd::Pid::from_raw(running.pid as i32))).unwrap(),
        );
        let code = loop {
            if let Some(c) = running.try_exit().unwrap() {
                break c;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_ne!(ours, theirs);
        assert_eq!(
            theirs.as_raw(),
            running.pid as i32,
            "child leads its own session"
        );
        assert_eq!(code, Some(3));
        let text = std::fs::read_to_string(&tee).unwrap();
        assert!(text.starts_with("# midrescue "));
        assert!(text.contains("out line\n"));
        assert!(text.contains("err line\n"));
        assert!(
            text.contains("secret=gone"),
            "scrubbed variable reached the child: {text}"
        );
    }
}
