//! Command-line definitions (clap) and exit codes. No work happens here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::platform::Platform;

/// Exit code: the command did what was asked (for `resume`: the MID is Up).
pub const EXIT_OK: u8 = 0;
/// Exit code: failed (not a MID server, unreadable, recovery failed or timed out).
pub const EXIT_FAILED: u8 = 1;
/// Exit code: the command line was wrong (clap uses 2 as well).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: interrupted by Ctrl-C (128 + SIGINT, as shells report it); `collect` then
/// leaves no bundle and no partial file.
pub const EXIT_INTERRUPTED: u8 = 130;

const AFTER_HELP: &str = "\
THE RECOVERY (KB0779816), IN ORDER:
  1. Do NOT start the MID service: it would delete the upgrade temp folder and its logs.
  2. Save the logs:                 midrescue collect
  3. Re-run the upgrade and watch:  midrescue resume      (or the wizard: midrescue)

PRACTISE FIRST:
  midrescue demo                     the wizard on a built-in crashed install (safe)
  midrescue lab list                 the training scenarios
  midrescue course                   a scored course over them, for trainers

EXIT CODES: 0 done, 1 failed (not a MID server, unreadable, recovery failed), 2 usage error,
  130 interrupted (Ctrl-C: `collect` stops and leaves no partial bundle).";

/// `--version`: what this binary is (version, target triple, commit), so that a binary copied
/// onto a MID host can be traced to its build. Set by build.rs.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("MIDRESCUE_TARGET"),
    ", commit ",
    env!("MIDRESCUE_COMMIT"),
    ")"
);

/// Rescue a ServiceNow MID Server whose auto-upgrade crashed midway.
///
/// Without a subcommand, opens the full-screen recovery wizard: Detect, Warn, Collect, Run,
/// Watch, Done. Every step explains itself; nothing changes on the host until you confirm.
#[derive(Debug, Parser)]
#[command(name = "midrescue", version = VERSION, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub wizard: WizardArgs,

    /// Write midrescue's own diagnostic log here (default: a new private file under your state
    /// folder, e.g. ~/.local/state/midrescue/logs).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tell what state a MID Server is in (read-only). Reports every install found when none is named.
    #[command(
        long_about = "Tell what state a MID Server is in after an upgrade, without changing anything.\n\n\
Reads config.xml, the wrapper confs, the installed and target versions, the agent, wrapper and \
upgrade logs (newest first, stopping as soon as the answer is found), the upgrade temp folder and \
the service state, then gives a verdict (crashed_upgrade, temp_folder_lost, upgrade_in_progress, \
healthy, stopped, not_a_mid_server) and findings with the log lines that prove them.",
        after_help = "EXAMPLES:\n  midrescue detect\n  midrescue detect --agent-dir /opt/servicenow/mid/agent\n  midrescue detect --agent-dir 'C:\\ServiceNow\\MID Server1' --json"
    )]
    Detect(DetectArgs),

    /// Save logs, configs (secrets redacted) and the diagnosis into a support-bundle zip.
    #[command(
        long_about = "Build the support bundle that ServiceNow support asks for: agent logs, wrapper logs, \
the upgrade temp folder's glide-dist-upgrade.log, configs with every secret redacted, listings, \
system facts, the diagnosis and a human SUMMARY.md, plus manifest.json with a sha256 per entry.\n\n\
Read-only on the MID: files are opened, read and closed one at a time. Do this BEFORE re-running \
the upgrade: glide-dist-upgrade.log may be the only record of why the upgrade died.",
        after_help = "EXAMPLES:\n  midrescue collect\n  midrescue collect --out /var/tmp --since 2026-11-01\n  midrescue collect --agent-dir /opt/servicenow/mid/agent --json"
    )]
    Collect(CollectArgs),

    /// Re-run the crashed upgrade (after collecting logs) and watch until the MID is Up.
    #[command(
        long_about = "The non-interactive recovery (KB0779816): refuses unless detect says crashed_upgrade, \
collects the support bundle first, asks for confirmation, runs \
upgrade-wrapper/bin/glide-dist-upgrade.{sh,bat} start from the upgrade temp folder (or the wrapper \
fallback when the script says the service is not installed), then follows glide-dist-upgrade.log, \
wrapper.log and agent0.log.0 until the MID is Up. The upgrade runs detached: if this command dies \
or your SSH link drops, the upgrade keeps going. Never starts the MID service itself.",
        after_help = "EXAMPLES:\n  midrescue resume --dry-run\n  midrescue resume --agent-dir /opt/servicenow/mid/agent --timeout 30m\n  MIDRESCUE_INSTANCE_PASSWORD=... midrescue resume --instance-user admin --yes"
    )]
    Resume(ResumeArgs),

    /// Before an instance upgrade: check what would make this MID's auto-upgrade crash (read-only).
    #[command(
        long_about = "Check, before an instance upgrade triggers this MID's auto-upgrade, what would make it \
crash midway: files in bin/lib/jre held open by other processes (antivirus, backup), the upgrade \
temp folder (writable by the service user, not noexec, 3x agent/ free), the service user's rights, \
the start type, systemd KillMode, wrapper.name against the installed service, a second install \
with the same MID name, mid.pinned.version, mid.upgrade.run_precheck=false, the packages in \
package/incoming, the scripts' modes and owners, and leftovers of an earlier failed upgrade.\n\n\
Read-only: changes nothing and runs no file of the install. Each check says pass, warn or fail, \
with the evidence, the KB reference and the fix.\n\n\
EXIT CODES: 0 all passed, 1 warnings (or a check could not look), 3 failures (or nothing to check), 2 usage error.",
        after_help = "EXAMPLES:\n  midrescue preflight\n  sudo midrescue preflight --agent-dir /opt/servicenow/mid/agent\n  midrescue preflight --json --target-version yokohama-12-18-2024__patch12-hotfix2b-05-18-2026_06-19-2026_0219\n\nRun it as root or administrator: the open-files check cannot see other users' processes otherwise."
    )]
    Preflight(PreflightArgs),

    /// Practise: run the wizard on a freshly built crashed MID install (safe, nothing real touched).
    Demo(DemoArgs),

    /// Training course: the lab scenarios one after another, each scored, then a score card.
    #[command(
        long_about = "Run a training course: lab scenarios one after another in the wizard (all of them, \
easiest first, or the ones a course file names), with the why panel closed (hints off) unless \
--hints. Each scenario is scored from what the trainee did: reached Up or the right stopping \
point, time taken, bundle saved before any re-run, wrong actions (a re-run when a fix was needed \
first, quitting mid-run, and the classic mistake: starting the MID service, offered on Warn in \
the lab only), hints used. The end shows a score card and writes the report (Markdown, and JSON \
beside it).",
        after_help = "EXAMPLES:\n  midrescue course\n  midrescue course --hints --report week1.md\n  midrescue course --course week1.toml --speed 4\n\nA course file:\n  title = \"Week 1: locked files\"\n  scenarios = [\"file-lock-timeout\", \"rerun-fails-again\"]"
    )]
    Course(CourseArgs),

    /// Training lab: build realistic crashed MID installs and run their simulated upgrades.
    #[command(subcommand)]
    Lab(LabCommand),
}

/// Options of the wizard (the default command).
#[derive(Debug, Args, Clone, Default)]
pub struct WizardArgs {
    /// The MID's `agent` folder, or the folder that holds it. Default: look in the usual places.
    #[arg(long, value_name = "DIR")]
    pub agent_dir: Option<PathBuf>,

    /// Where to write support bundles (default: a private `midrescue` folder in your home).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Show exactly what would run, but run nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Monochrome screens (also when NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,

    /// Also confirm Up with the instance (read-only ecc_agent query) as this user. The password
    /// comes from MIDRESCUE_INSTANCE_PASSWORD or a prompt before the screen opens.
    #[arg(long, value_name = "USER")]
    pub instance_user: Option<String>,

    /// Instance URL for the check, https:// only (default: `url` from config.xml).
    #[arg(long, value_name = "URL", requires = "instance_user")]
    pub instance_url: Option<String>,

    /// Treat DIR as a training lab although it is not in your lab registry (labs made by
    /// `midrescue lab create`/`demo` are recognised without it; any other lab file is ignored).
    #[arg(long, value_name = "DIR")]
    pub lab: Option<PathBuf>,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The install a command works on. Only the commands that read an install take it, so
/// `demo --help` and `lab --help` show only what applies there.
#[derive(Debug, Args, Clone, Default)]
pub struct InstallArg {
    /// The MID's `agent` folder, or the folder that holds it. Default: look in the usual places.
    #[arg(long, value_name = "DIR")]
    pub agent_dir: Option<PathBuf>,
}

/// How long the recovery is judged (the wizard and `resume` alike).
#[derive(Debug, Args, Clone, Copy, PartialEq, Eq)]
pub struct LimitArgs {
    /// Give up judging after this long (e.g. 90s, 20m, 1h). The upgrade itself keeps running.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,

    /// Report a stall when no log line arrived for this long.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub stall: std::time::Duration,
}

impl Default for LimitArgs {
    fn default() -> Self {
        LimitArgs {
            timeout: crate::recovery::DEFAULT_TIMEOUT,
            stall: crate::recovery::DEFAULT_STALL,
        }
    }
}

impl From<LimitArgs> for crate::recovery::Limits {
    fn from(a: LimitArgs) -> Self {
        crate::recovery::Limits {
            timeout: a.timeout,
            stall: a.stall,
        }
    }
}

/// `90`, `90s`, `20m`, `1h`, `1h30m` → a duration (a usage error otherwise).
/// A lab scenario name; anything else is a usage error (exit 2) that lists the names.
pub fn parse_scenario(s: &str) -> Result<String, String> {
    if crate::lab::scenario(s).is_some() {
        return Ok(s.to_string());
    }
    let names: Vec<&str> = crate::lab::scenarios().iter().map(|sc| sc.name).collect();
    Err(format!(
        "unknown scenario `{}`; one of: {}",
        crate::sanitize::text(s),
        names.join(", ")
    ))
}

/// A speed factor: a finite number above 0.
pub fn parse_speed(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a speed factor above 0 (e.g. 1, 2, 0.5)"
        )),
    }
}

pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{s:?} is not a duration like 90s, 20m or 1h30m");
    let t = s.trim();
    if let Ok(n) = t.parse::<u64>() {
        return (n > 0)
            .then(|| std::time::Duration::from_secs(n))
            .ok_or_else(bad);
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !num.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(total))
}

#[derive(Debug, Args, Clone)]
pub struct DetectArgs {
    #[command(flatten)]
    pub install: InstallArg,

    /// Print one JSON object (an array when several installs were found); schema in README.
    #[arg(long)]
    pub json: bool,

    /// Treat DIR as a training lab although it is not in your lab registry (labs made by
    /// `midrescue lab create`/`demo` are recognised without it; any other lab file is ignored).
    #[arg(long, value_name = "DIR")]
    pub lab: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct PreflightArgs {
    #[command(flatten)]
    pub install: InstallArg,

    /// Print one JSON object (an array when several installs were found); schema in README.
    #[arg(long)]
    pub json: bool,

    /// The version the instance will assign (a buildstamp, e.g. from the instance's
    /// `mid.version` property): package/incoming is compared against it.
    #[arg(long, value_name = "BUILDSTAMP")]
    pub target_version: Option<String>,

    /// Treat DIR as a training lab although it is not in your lab registry (labs made by
    /// `midrescue lab create`/`demo` are recognised without it; any other lab file is ignored).
    #[arg(long, value_name = "DIR")]
    pub lab: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct CollectArgs {
    #[command(flatten)]
    pub install: InstallArg,

    /// Folder for the zip (default: a private `midrescue` folder in your home, never inside the
    /// install or an upgrade temp folder). It must be yours and not writable by others.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,

    /// Per-file budget in MiB: larger logs keep their last N MiB and are marked truncated.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_file_mb: u64,

    /// Leave out rotated logs last modified before this date (YYYY-MM-DD); current logs are always kept.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Extra redaction rules, one regex per line (`#` comments).
    #[arg(long, value_name = "FILE")]
    pub redact_rules: Option<PathBuf>,

    /// DEFLATE level for every file: 1 fastest … 9 smallest (0 stores uncompressed). By default
    /// files over 1 MiB get level 4 and smaller ones level 1 of a faster compressor: about the
    /// size of `zip -6` on MID logs, and faster.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=9))]
    pub level: Option<u32>,

    /// Treat DIR as a training lab although it is not in your lab registry (labs made by
    /// `midrescue lab create`/`demo` are recognised without it; any other lab file is ignored).
    #[arg(long, value_name = "DIR")]
    pub lab: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub install: InstallArg,

    /// Folder for the support bundle and the upgrade's captured output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Do not ask: run the upgrade, and accept the wrapper fallback if the script asks for it.
    #[arg(long)]
    pub yes: bool,

    /// Print the exact command, folder and user, and run nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub limits: LimitArgs,

    /// Also confirm Up with the instance (read-only ecc_agent query) as this user. The password
    /// comes from MIDRESCUE_INSTANCE_PASSWORD or a prompt; it is never stored or logged.
    #[arg(long, value_name = "USER")]
    pub instance_user: Option<String>,

    /// Instance URL for the check, https:// only (default: `url` from config.xml).
    #[arg(long, value_name = "URL")]
    pub instance_url: Option<String>,

    /// Offer to set the MID service to manual start during the recovery, restoring it after.
    #[arg(long)]
    pub manual_start: bool,

    /// Print the outcome as one JSON object (progress goes to stderr).
    #[arg(long)]
    pub json: bool,

    /// Treat DIR as a training lab although it is not in your lab registry (labs made by
    /// `midrescue lab create`/`demo` are recognised without it; any other lab file is ignored).
    #[arg(long, value_name = "DIR")]
    pub lab: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Which lab scenario to practise on (`midrescue lab list`).
    #[arg(long, value_name = "NAME", default_value = "file-lock-timeout", value_parser = parse_scenario)]
    pub scenario: String,

    /// Speed factor of the simulated upgrade (2 = twice as fast).
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Monochrome screens (also when NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,

    /// Keep the demo's lab when the wizard closes (by default it is removed; the bundles and
    /// the journal are always kept).
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args, Clone)]
pub struct CourseArgs {
    /// A TOML course file choosing the scenarios and their order (default: all, easiest first).
    #[arg(long, value_name = "FILE")]
    pub course: Option<PathBuf>,

    /// Open the why panel on every screen (hints are off by default; opening it counts as a hint).
    #[arg(long)]
    pub hints: bool,

    /// Write the trainer's report here (Markdown; the same as JSON beside it, `.json`). Default:
    /// a new file in your state folder's `courses` folder.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Speed factor of the simulated upgrades (2 = twice as fast).
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Monochrome screens (also when NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand, Clone)]
pub enum LabCommand {
    /// List the scenarios, and the labs you made (folder, scenario, running or stopped).
    List,
    /// Remove the labs you made that are stopped (only labs in your lab registry).
    Clean,
    /// Build a crashed MID install for a scenario in DIR (which must be empty or absent).
    Create(LabCreateArgs),
    /// End every process of the lab in DIR.
    Stop {
        /// The lab folder given to `lab create`.
        dir: PathBuf,
    },
    /// Internal: the lab's simulated Distribution Upgrade (run by the lab's scripts).
    #[command(hide = true)]
    Simulate {
        #[arg(long, value_name = "DIR")]
        lab: PathBuf,
        #[arg(long, value_enum)]
        target: crate::lab::SimTarget,
        /// The script's or wrapper's own arguments (`start`, `-c ../conf/wrapper.conf`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Internal: the lab's running MID Server.
    #[command(hide = true)]
    MidProcess {
        #[arg(long, value_name = "DIR")]
        lab: PathBuf,
        /// Already up for a while: no start-up lines.
        #[arg(long)]
        running: bool,
    },
    /// Internal: the process that keeps a lab file locked (`rerun-fails-again`).
    #[command(hide = true)]
    HoldLock {
        #[arg(long, value_name = "DIR")]
        lab: PathBuf,
        /// The file to hold open, relative to the lab's agent folder.
        #[arg(long)]
        file: String,
    },
    /// Internal: the lab's instance stand-in (loopback HTTP).
    #[command(hide = true)]
    Instance {
        #[arg(long, value_name = "DIR")]
        lab: PathBuf,
    },
}

#[derive(Debug, Args, Clone)]
pub struct LabCreateArgs {
    /// Scenario name (`midrescue lab list`).
    #[arg(value_parser = parse_scenario)]
    pub scenario: String,
    /// Folder to build the lab in (must be empty or absent).
    pub dir: PathBuf,
    /// Lay it out like this OS (default: the scenario's own).
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Speed factor of the simulated upgrade (2 = twice as fast).
    #[arg(long, value_name = "N", default_value_t = 1.0)]
    pub speed: f64,
    /// Grow the log history to about N MiB (for performance work).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub log_mb: u64,
    /// Build the scenario before its upgrade: a running MID with the hazard that will make the
    /// upgrade crash (a held file, lost exec bits, a second install of the same name), for
    /// practising `midrescue preflight`.
    #[arg(long)]
    pub before_upgrade: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("20m").unwrap(), Duration::from_secs(1200));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        for bad in ["20x", "m", "", "0", "0s", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bad_duration_is_a_usage_error() {
        let e = Cli::try_parse_from(["midrescue", "resume", "--timeout", "soon"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let ok = Cli::try_parse_from(["midrescue", "--timeout", "10m"]).unwrap();
        assert_eq!(
            ok.wizard.limits.timeout,
            std::time::Duration::from_secs(600)
        );
    }
}
