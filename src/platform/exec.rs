//! Commands as data: a `CommandSpec` is built by pure code (and unit-tested), an `Exec` runs it.

use std::path::PathBuf;
use std::time::Duration;

/// A command to run: program, arguments, working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
    /// Working directory; `None` means "the process's own", which `commands` sets outside the
    /// MID tree at start-up.
    pub cwd: Option<PathBuf>,
}

impl CommandSpec {
    pub fn new(program: impl Into<String>, args: &[&str]) -> Self {
        CommandSpec {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            cwd: None,
        }
    }

    /// The command line as an operator would type it (for display and dry runs).
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .map(quote_for_display)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn quote_for_display(s: &str) -> String {
    if s.is_empty()
        || s.chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\'')
    {
        format!("\"{}\"", s.replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

/// What a finished command printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit code; `None` when killed by a signal.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs command specs. The real one spawns processes; tests use fixtures.
pub trait Exec: Send + Sync {
    fn run(&self, spec: &CommandSpec) -> std::io::Result<CommandOutput>;
}

/// Runs commands on this host, with a timeout so a hung `sc.exe` or `systemctl` cannot hang us.
#[derive(Debug, Clone)]
pub struct SystemExec {
    pub timeout: Duration,
}

impl Default for SystemExec {
    fn default() -> Self {
        SystemExec {
            timeout: Duration::from_secs(10),
        }
    }
}

impl Exec for SystemExec {
    fn run(&self, spec: &CommandSpec) -> std::io::Result<CommandOutput> {
        use std::io::Read;
        use std::process::{Command, Stdio};
        // Elevated: a bare tool name resolves only to a file others cannot have planted.
        let program = crate::platform::system_tool::resolve(&spec.program)?;
        let mut cmd = Command::new(program);
        crate::platform::instance::scrub_child_env(&mut cmd);
        cmd.args(&spec.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &spec.cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn()?;
        // Read both pipes on threads so a chatty child cannot block on a full pipe.
        let mut out = child.stdout.take();
        let mut err = child.stderr.take();
        let out_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(o) = out.as_mut() {
                let _ = o.read_to_end(&mut v);
            }
            v
        });
        let err_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(e) = err.as_mut() {
                let _ = e.read_to_end(&mut v);
            }
            v
        });
        let deadline = std::time::Instant::now() + self.timeout;
        let status = loop {
            if let Some(st) = child.try_wait()? {
                break st.code();
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "`{}` did not finish within {:?}",
                        spec.display(),
                        self.timeout
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
        let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
        Ok(CommandOutput {
            status,
            stdout,
            stderr,
        })
    }
}
