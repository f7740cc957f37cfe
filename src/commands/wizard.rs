//! The default command: the full-screen wizard on `--agent-dir` or on the installs found (a
//! picker when there are several).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::app::{self, AppConfig, RunnerConfig};
use crate::cli::{EXIT_FAILED, WizardArgs};
use crate::mid::locate::find_installs;
use crate::platform::Platform;
use crate::platform::exec::SystemExec;
use crate::ui::Theme;
use crate::wizard::model::Options;

/// Refuse politely without a terminal (scripts, pipes, CI).
pub fn require_tty() -> Result<(), u8> {
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    eprintln!(
        "midrescue: the wizard needs an interactive terminal (stdin and stdout are not one).\n\
         Without one, use the subcommands:\n  \
         midrescue detect [--json]     what state the MID is in (read-only)\n  \
         midrescue collect [--json]    the support bundle\n  \
         midrescue resume [--yes]      re-run the upgrade and watch until Up"
    );
    Err(EXIT_FAILED)
}

pub fn run(args: &WizardArgs, log_path: Option<&Path>) -> anyhow::Result<u8> {
    // A missing path, a file and a folder without an install get the same clear message.
    if let Some(dir) = args.agent_dir.as_deref() {
        let holds = dir.is_dir() && crate::mid::install::resolve_agent_dir(dir).is_some();
        if let Some(why) = crate::mid::advice::agent_dir_problem(dir, holds) {
            eprintln!("midrescue: {why}");
            return Ok(crate::cli::EXIT_USAGE);
        }
    }
    if let Err(code) = require_tty() {
        return Ok(code);
    }
    let installs = find_installs(
        args.agent_dir.as_deref(),
        Platform::host(),
        &SystemExec::default(),
    )?;
    let instance = match &args.instance_user {
        Some(user) => Some((
            args.instance_url.clone(),
            crate::platform::instance::Credentials::new(
                user,
                crate::platform::instance::password_from_env_or_prompt(user)?,
            ),
        )),
        None => None,
    };
    // On a training lab midrescue made, the first screen also leads to the course.
    let on_lab = matches!(installs.as_slice(), [one] if crate::lab::find_lab_root(one).is_some());
    let opts = Options {
        dry_run: args.dry_run,
        host: host_name(),
        course_entry: on_lab,
        ..Options::default()
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(crate::bundle::output::default_out_dir);
    let summary = launch_for_summary(Launch {
        opts,
        installs,
        out_dir: out,
        theme: Theme::from_env(args.no_color),
        log_path,
        instance,
        limits: args.limits.into(),
        invocation: invocation(args.agent_dir.as_deref()),
    })?;
    if summary.start_course {
        return super::course::run_default(1.0, args.no_color, log_path);
    }
    Ok(if summary.ok {
        crate::cli::EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// How midrescue was called for this install, so shown commands can be pasted as they are.
pub fn invocation(agent_dir: Option<&Path>) -> String {
    match agent_dir {
        Some(d) => format!(
            "midrescue --agent-dir {}",
            shell_quote(&crate::sanitize::path(d))
        ),
        None => "midrescue".to_string(),
    }
}

/// Quote for a POSIX shell or PowerShell alike (single quotes, doubled inside).
fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:\\".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// The instance check: a URL given, else the install's own (`url` in config.xml).
pub type InstanceCheck = (Option<String>, crate::platform::instance::Credentials);

/// One wizard run, as `midrescue` and `demo` start it.
pub struct Launch<'a> {
    pub opts: Options,
    pub installs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub theme: Theme,
    pub log_path: Option<&'a Path>,
    pub instance: Option<InstanceCheck>,
    pub limits: crate::recovery::Limits,
    pub invocation: String,
}

/// Run the wizard and print the summary; returns it (the course scores its attempt). Shared
/// with `demo` and `course`.
pub fn launch_for_summary(l: Launch<'_>) -> anyhow::Result<app::Summary> {
    let mut opts = l.opts;
    let installs = &l.installs;
    let instance = l.instance.and_then(|(url, creds)| {
        let url = url.or_else(|| instance_url_of(installs))?;
        // Plain HTTP is allowed only to a registered lab's own loopback stand-in.
        let creds = match lab_instance_url_of(installs) {
            Some(lab_url) => creds.allow_plain_http_to(&lab_url),
            None => creds,
        };
        Some((Some(url), creds))
    });
    if let Some((Some(url), creds)) = &instance {
        crate::platform::instance::check_endpoint(url, creds)?;
    }
    opts.instance_check = instance.is_some();
    opts.invocation = l.invocation.clone();
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let journal_path = l.out_dir.join(format!("midrescue-journal-{stamp}.txt"));
    let cfg = AppConfig {
        opts,
        theme: l.theme,
        installs: l.installs,
        runner: RunnerConfig {
            out_dir: l.out_dir,
            journal_path,
            limits: l.limits,
            instance,
            invocation: l.invocation,
        },
        log_file: l.log_path.map(Path::to_path_buf),
    };
    let ascii = cfg.theme.ascii;
    let summary = app::run(cfg)?;
    if ascii {
        let text: String = summary
            .text
            .split_inclusive(|_| true)
            .map(crate::ui::theme::ascii_symbol)
            .collect();
        super::say(&text);
    } else {
        super::say(&summary.text);
    }
    Ok(summary)
}

pub fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// The instance stand-in URL when the only install is a lab midrescue made.
fn lab_instance_url_of(installs: &[PathBuf]) -> Option<String> {
    let [one] = installs else { return None };
    crate::lab::find_lab_root(one).and_then(|r| crate::lab::registry::lab_instance_url(&r))
}

/// `url` from config.xml of the only install (the check needs to know which instance to ask).
fn instance_url_of(installs: &[PathBuf]) -> Option<String> {
    let [one] = installs else { return None };
    let host = crate::host::Host::for_install(one);
    crate::mid::detect::detect(one, &host).ok()?.instance_url
}
