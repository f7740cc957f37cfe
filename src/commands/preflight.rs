//! `midrescue preflight`: the read-only checks before an instance upgrade, as text or JSON
//! (schema in README "preflight --json"). Exit 0 all pass, 1 warnings, 3 failures.

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::PreflightArgs;
use crate::host::Host;
use crate::mid::locate::find_installs;
use crate::platform::Platform;
use crate::platform::exec::SystemExec;
use crate::preflight::{Options, PreflightReport, Status};
use crate::sanitize::text as sanitize;

/// Exit code when there is nothing to check (no install, not a MID): as bad as a failure, so
/// a fleet run never reads it as "warnings only".
pub const EXIT_NOTHING_CHECKED: u8 = 3;

pub fn run(agent_dir: Option<&Path>, args: &PreflightArgs) -> anyhow::Result<u8> {
    let installs = find_installs(agent_dir, Platform::host(), &SystemExec::default())?;
    if installs.is_empty() {
        eprintln!(
            "midrescue: no MID Server install found in the usual places; nothing was checked.\n\
             Name it: midrescue preflight --agent-dir DIR   (the `agent` folder or the folder holding it)"
        );
        return Ok(EXIT_NOTHING_CHECKED);
    }
    let opts = Options {
        target_version: args.target_version.clone(),
    };
    let mut reports = Vec::new();
    let mut code = 0u8;
    for dir in &installs {
        super::lab::warn_if_lab_file_ignored(dir);
        if !crate::mid::install::install_marks(dir).any() {
            eprintln!(
                "midrescue: {} is not a MID Server install (no config.xml, conf/wrapper.conf or bin/); nothing was checked",
                crate::sanitize::path(dir)
            );
            code = code.max(EXIT_NOTHING_CHECKED);
            continue;
        }
        let host = Host::for_install(dir);
        let r = crate::preflight::run(dir, &host, &opts);
        tracing::info!(agent = %dir.display(), result = %r.result, "preflight");
        code = code.max(r.exit_code());
        reports.push(r);
    }
    if args.json {
        let text = if reports.len() == 1 && (agent_dir.is_some() || installs.len() == 1) {
            serde_json::to_string_pretty(&reports[0])?
        } else {
            serde_json::to_string_pretty(&reports)?
        };
        println!("{text}");
    } else {
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                println!("\n{}\n", "=".repeat(72));
            }
            print!("{}", render_text(r));
        }
    }
    Ok(code)
}

fn word(s: Status) -> &'static str {
    match s {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

/// The readable report: the result first, then every check with its evidence and fix.
pub fn render_text(r: &PreflightReport) -> String {
    let mut s = String::new();
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(unknown)".into());
    let head = match r.result {
        Status::Fail => "PREFLIGHT FAILED: fix the failures before the instance upgrade",
        Status::Warn => "PREFLIGHT PASSED WITH WARNINGS: read them before the instance upgrade",
        Status::Pass | Status::Skip => {
            "PREFLIGHT PASSED: nothing found that would stop the upgrade"
        }
    };
    let _ = writeln!(s, "{head}");
    let _ = writeln!(s, "  install            {}", r.agent_dir.display());
    let _ = writeln!(s, "  MID name           {}", sanitize(&opt(&r.mid_name)));
    let _ = writeln!(s, "  platform           {}", r.platform);
    let _ = writeln!(s, "  installed version  {}", opt(&r.installed_version));
    if let Some(t) = &r.target_version {
        let _ = writeln!(s, "  assigned version   {t}");
    }
    let _ = writeln!(s);
    // Failures first, then warnings: what needs doing is on top.
    let mut order: Vec<_> = r.checks.iter().collect();
    order.sort_by_key(|c| std::cmp::Reverse(c.status));
    for c in order {
        let _ = writeln!(s, "[{}] {}  ({})", word(c.status), c.title, c.id);
        let _ = writeln!(s, "       {}", c.message);
        for e in c.evidence.iter().take(10) {
            if e.line > 0 {
                let _ = writeln!(s, "       at {}:{}", e.file.display(), e.line);
            } else if !e.file.as_os_str().is_empty() {
                let _ = writeln!(s, "       at {}", e.file.display());
            }
            let _ = writeln!(s, "         {}", e.text);
        }
        if c.evidence.len() > 10 {
            let _ = writeln!(
                s,
                "       ... {} more (--json lists all)",
                c.evidence.len() - 10
            );
        }
        if matches!(c.status, Status::Fail | Status::Warn) {
            if !c.fix.is_empty() {
                let _ = writeln!(s, "       fix: {}", c.fix);
            }
            let _ = writeln!(s, "       ref: {}", c.reference);
        }
    }
    let _ = writeln!(
        s,
        "\n{} pass, {} warn, {} fail, {} not applicable",
        r.summary.pass, r.summary.warn, r.summary.fail, r.summary.skip
    );
    // Paths and evidence come from the disk: nothing but our line breaks may reach the terminal
    // as a control character.
    s.split('\n').map(sanitize).collect::<Vec<_>>().join("\n")
}
