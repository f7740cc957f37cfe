//! One thin face per subcommand: turn engine results and events into printed lines and JSON.
//! Commands print and decide nothing the wizard would decide differently; the engine layers
//! (`recovery`, `mid`, `bundle`, `follow`, `lab`, `platform`) never print.

pub mod collect;
pub mod course;
pub mod demo;
pub mod detect;
mod interrupt;
pub mod lab;
pub mod logging;
pub mod preflight;
pub mod resume;
pub mod wizard;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, EXIT_FAILED, LabCommand};

/// Entry point of the binary.
pub fn main() -> ExitCode {
    // SAFETY: first thing in main, while this process has a single thread (before clap, the
    // log and tokio); the password then lives only in memory and no child inherits it.
    unsafe { crate::platform::instance::take_password_from_env() };
    let mut cli = Cli::parse();
    // A broken built-in redaction pattern must stop us before anything is read or shown.
    if let Err(e) = crate::redact::check_builtin() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "midrescue: internal error: {e:#}");
        return ExitCode::from(EXIT_FAILED);
    }
    absolutize_paths(&mut cli);
    if let Some(dir) = explicit_lab(&cli) {
        crate::lab::registry::set_explicit_lab(dir);
    }
    // A command that only prints (`lab list`) leaves no log file behind unless asked for one.
    let prints_only = matches!(cli.command, Some(Command::Lab(LabCommand::List)));
    let log_path = if prints_only && cli.log_file.is_none() {
        None
    } else {
        logging::init(cli.log_file.as_deref())
    };
    // Safety rule 3: our working directory (and so every child's default) must never be inside
    // the MID install or the upgrade temp folder, where it would lock the folder on Windows.
    move_cwd_to_neutral_place();
    tracing::info!(args = ?std::env::args().collect::<Vec<_>>(), "midrescue start");

    let result = match &cli.command {
        None => wizard::run(&cli.wizard, log_path.as_deref()),
        Some(Command::Detect(a)) => detect::run(agent_dir(&cli, &a.install), a),
        Some(Command::Collect(a)) => collect::run(agent_dir(&cli, &a.install), a),
        Some(Command::Resume(a)) => resume::run(agent_dir(&cli, &a.install), a),
        Some(Command::Preflight(a)) => preflight::run(agent_dir(&cli, &a.install), a),
        Some(Command::Demo(a)) => demo::run(a, log_path.as_deref()),
        Some(Command::Course(a)) => course::run(a, log_path.as_deref()),
        Some(Command::Lab(l)) => lab::run(l),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            tracing::error!("{e:#}");
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "midrescue: error: {}",
                crate::sanitize::text(&format!("{e:#}"))
            );
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// `--agent-dir` after the subcommand (`detect --agent-dir X`) or before it (`--agent-dir X
/// detect`): both mean the same install.
fn agent_dir<'a>(cli: &'a Cli, own: &'a crate::cli::InstallArg) -> Option<&'a std::path::Path> {
    own.agent_dir.as_deref().or(cli.wizard.agent_dir.as_deref())
}

/// Relative paths on the command line mean "relative to where the operator stood", so resolve
/// them before we change directory.
fn absolutize_paths(cli: &mut Cli) {
    fn abs(p: &mut std::path::PathBuf) {
        if let Ok(a) = std::path::absolute(&*p) {
            *p = a;
        }
    }
    if let Some(p) = cli.wizard.agent_dir.as_mut() {
        abs(p);
    }
    if let Some(p) = cli.wizard.out.as_mut() {
        abs(p);
    }
    if let Some(p) = cli.log_file.as_mut() {
        abs(p);
    }
    if let Some(p) = cli.wizard.lab.as_mut() {
        abs(p);
    }
    match &mut cli.command {
        Some(Command::Detect(a)) => {
            if let Some(p) = a.install.agent_dir.as_mut() {
                abs(p);
            }
            if let Some(p) = a.lab.as_mut() {
                abs(p);
            }
        }
        Some(Command::Collect(a)) => {
            if let Some(p) = a.install.agent_dir.as_mut() {
                abs(p);
            }
            if let Some(p) = a.lab.as_mut() {
                abs(p);
            }
            if let Some(p) = a.out.as_mut() {
                abs(p);
            }
            if let Some(p) = a.redact_rules.as_mut() {
                abs(p);
            }
        }
        Some(Command::Preflight(a)) => {
            if let Some(p) = a.install.agent_dir.as_mut() {
                abs(p);
            }
            if let Some(p) = a.lab.as_mut() {
                abs(p);
            }
        }
        Some(Command::Resume(a)) => {
            if let Some(p) = a.install.agent_dir.as_mut() {
                abs(p);
            }
            if let Some(p) = a.out.as_mut() {
                abs(p);
            }
            if let Some(p) = a.lab.as_mut() {
                abs(p);
            }
        }
        Some(Command::Lab(LabCommand::Create(a))) => abs(&mut a.dir),
        Some(Command::Lab(LabCommand::Stop { dir })) => abs(dir),
        Some(Command::Lab(
            LabCommand::Simulate { lab, .. }
            | LabCommand::MidProcess { lab, .. }
            | LabCommand::HoldLock { lab, .. }
            | LabCommand::Instance { lab },
        )) => abs(lab),
        _ => {}
    }
}

/// The `--lab DIR` the operator named for this command, if any.
fn explicit_lab(cli: &Cli) -> Option<&std::path::Path> {
    match &cli.command {
        None => cli.wizard.lab.as_deref(),
        Some(Command::Detect(a)) => a.lab.as_deref(),
        Some(Command::Collect(a)) => a.lab.as_deref(),
        Some(Command::Resume(a)) => a.lab.as_deref(),
        Some(Command::Preflight(a)) => a.lab.as_deref(),
        _ => None,
    }
}

fn move_cwd_to_neutral_place() {
    let tmp = std::env::temp_dir();
    if let Err(e) = std::env::set_current_dir(&tmp) {
        tracing::warn!("could not change directory to {}: {e}", tmp.display());
    }
}

/// Print to stdout without panicking when the terminal is gone (SSH dropped, window closed):
/// what follows, such as stopping a demo's processes, must still run.
pub fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
