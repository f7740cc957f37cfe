//! `midrescue detect`: find the install(s), detect each, print a readable report (verdict in
//! plain words first) or JSON (schema in README "detect --json").

use std::fmt::Write as _;
use std::path::Path;

use crate::cli::{DetectArgs, EXIT_FAILED, EXIT_OK};
use crate::host::Host;
use crate::mid::detect::detect;
use crate::mid::locate::find_installs;
use crate::mid::report::{DetectReport, Severity, Verdict};
use crate::platform::Platform;
use crate::platform::exec::SystemExec;
use crate::platform::service::{ServiceState, StartType};
use crate::sanitize::text as sanitize;

pub fn run(agent_dir: Option<&Path>, args: &DetectArgs) -> anyhow::Result<u8> {
    let installs = find_installs(agent_dir, Platform::host(), &SystemExec::default())?;
    if installs.is_empty() {
        eprintln!(
            "midrescue: no MID Server install found in the usual places (e.g. /opt/servicenow/mid/agent, \
             C:\\ServiceNow\\*\\agent, services running agent\\bin\\wrapper-windows-x86-64.exe).\n\
             Name it: midrescue detect --agent-dir DIR   (the `agent` folder or the folder holding it)"
        );
        return Ok(EXIT_FAILED);
    }
    let mut reports = Vec::new();
    let mut failed = false;
    for dir in &installs {
        super::lab::warn_if_lab_file_ignored(dir);
        let host = Host::for_install(dir);
        match detect(dir, &host) {
            Ok(r) => {
                failed |= r.verdict == Verdict::NotAMidServer;
                reports.push(r);
            }
            Err(e) => {
                failed = true;
                tracing::error!("detect {}: {e:#}", dir.display());
                eprintln!("midrescue: cannot read {}: {e:#}", dir.display());
            }
        }
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
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}

fn state_words(s: ServiceState) -> &'static str {
    match s {
        ServiceState::Running => "running",
        ServiceState::Pending => "starting or stopping",
        ServiceState::Stopped => "stopped",
        ServiceState::NotInstalled => "not installed",
        ServiceState::Unknown => "unknown",
    }
}

fn start_words(s: Option<StartType>) -> &'static str {
    match s {
        Some(StartType::Auto) => "automatic",
        Some(StartType::Manual) => "manual",
        Some(StartType::Disabled) => "disabled",
        None => "unknown",
    }
}

/// The readable report of one install.
pub fn render_text(r: &DetectReport) -> String {
    let head = r.verdict.text().title;
    let what = crate::mid::advice::meaning(r);
    let invocation = super::wizard::invocation(Some(&r.agent_dir));
    let next: String = crate::mid::advice::next_steps(r, &invocation)
        .iter()
        .enumerate()
        .map(|(i, step)| format!("{}. {step}\n", i + 1))
        .collect();
    let mut s = String::new();
    let _ = writeln!(s, "{head}: {}", r.agent_dir.display());
    let _ = writeln!(s, "{what}\n");
    if r.verdict != Verdict::NotAMidServer {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(unknown)".into());
        let _ = writeln!(s, "  MID name           {}", sanitize(&opt(&r.mid_name)));
        let _ = writeln!(
            s,
            "  instance           {}",
            sanitize(&opt(&r.instance_url))
        );
        let _ = writeln!(s, "  platform           {}", r.platform);
        let _ = writeln!(s, "  installed version  {}", opt(&r.installed_version));
        let _ = writeln!(s, "  target version     {}", opt(&r.target_version));
        let _ = writeln!(
            s,
            "  service            {} ({}), {}, start {}",
            sanitize(&opt(&r.service.name)),
            sanitize(&opt(&r.service.display_name)),
            state_words(r.service.state),
            start_words(r.service.start_type)
        );
        let _ = writeln!(
            s,
            "  upgrade process    {}",
            if r.service.upgrade_process_running {
                "running now"
            } else {
                "not running"
            }
        );
        let _ = writeln!(s, "  agent/lib          {}", r.lib);
        if let Some(elevated) = r.elevated {
            let _ = writeln!(
                s,
                "  administrator      {}",
                if elevated {
                    "yes"
                } else {
                    "no (re-running the upgrade needs \"Run as administrator\")"
                }
            );
        }
        for u in &r.unattributed_temp_dirs {
            let _ = writeln!(
                s,
                "  other temp folder  {} (nothing ties it to this install: not used)",
                sanitize(&u.display().to_string())
            );
        }
        // An upgrade that never got a temp folder to run from (KB0784389's refusal) has no
        // folder, script or log to show.
        let shown = r
            .upgrade
            .as_ref()
            .filter(|u| !(r.verdict == Verdict::Stopped && u.temp_dir.is_none()));
        if let Some(u) = shown {
            let p = |o: &Option<std::path::PathBuf>| {
                o.as_ref()
                    .map_or("(none)".to_string(), |p| sanitize(&p.display().to_string()))
            };
            let _ = writeln!(
                s,
                "  temp folder        {}{}",
                p(&u.temp_dir),
                match u.temp_dir_source {
                    Some(crate::mid::report::TempDirSource::Marker) => " (from the marker line)",
                    Some(crate::mid::report::TempDirSource::Scan) => " (found by scanning)",
                    None => "",
                }
            );
            let _ = writeln!(
                s,
                "  upgrade script     {} ({}{})",
                p(&u.script),
                if u.script_exists {
                    "present"
                } else {
                    "MISSING"
                },
                match u.script_executable {
                    Some(false) => ", NOT executable",
                    _ => "",
                }
            );
            let _ = writeln!(s, "  upgrade log        {}", p(&u.upgrade_log));
            if let Some(m) = &u.marker_line {
                let _ = writeln!(
                    s,
                    "  marker             {}:{}\n                     {}",
                    sanitize(&m.file.display().to_string()),
                    m.line,
                    sanitize(&m.text)
                );
            }
        }
    }
    if !r.findings.is_empty() {
        let _ = writeln!(s, "\nFINDINGS");
        for f in &r.findings {
            let sev = match f.severity {
                Severity::Error => "ERROR",
                Severity::Warning => "WARNING",
                Severity::Info => "INFO",
            };
            let code = serde_json::to_value(f.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(s, "\n  [{sev}] {code}\n    {}", f.message);
            for e in &f.evidence {
                if e.line > 0 {
                    let _ = writeln!(s, "    at {}:{}", e.file.display(), e.line);
                } else if !e.file.as_os_str().is_empty() {
                    let _ = writeln!(s, "    at {}", e.file.display());
                }
                let _ = writeln!(s, "      {}", sanitize(&e.text));
            }
        }
    }
    let _ = writeln!(s, "\nNEXT STEP\n{}", indent(&next));
    // Paths come from the disk too (a folder name may hold an escape sequence): nothing but
    // the line breaks written here may reach the terminal as a control character.
    s.split('\n').map(sanitize).collect::<Vec<_>>().join("\n")
}

fn indent(t: &str) -> String {
    t.lines()
        .map(|l| format!("  {}\n", l.trim_start()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mid::report::{
        Evidence, Finding, FindingCode, LibState, SCHEMA_VERSION, ServiceReport,
    };
    use std::path::PathBuf;

    fn report(verdict: Verdict) -> DetectReport {
        DetectReport {
            schema_version: SCHEMA_VERSION,
            agent_dir: PathBuf::from("/opt/servicenow/mid/agent"),
            platform: Platform::Linux,
            mid_name: Some("mid\x1b[2J-1".into()),
            instance_url: None,
            installed_version: None,
            target_version: None,
            service: ServiceReport {
                name: Some("mid".into()),
                display_name: None,
                state: ServiceState::Stopped,
                start_type: Some(StartType::Auto),
                upgrade_process_running: false,
            },
            upgrade: None,
            lib: LibState::Intact,
            verdict,
            findings: vec![Finding {
                code: FindingCode::MachineShutdown,
                severity: Severity::Warning,
                message: "m".into(),
                evidence: vec![Evidence {
                    file: PathBuf::from("/opt/servicenow/mid/agent/logs/wrapper.log"),
                    line: 12,
                    text: "2019/12/15 00:33:17 | Machine is shutting down.\x1b]0;evil\x07".into(),
                }],
            }],
            elevated: None,
            temp_dir_attribution: None,
            unattributed_temp_dirs: Vec::new(),
        }
    }

    #[test]
    fn every_verdict_has_words_and_a_next_step() {
        for v in [
            Verdict::CrashedUpgrade,
            Verdict::TempFolderLost,
            Verdict::UpgradeInProgress,
            Verdict::Healthy,
            Verdict::Stopped,
            Verdict::NotAMidServer,
        ] {
            let text = render_text(&report(v));
            assert!(text.contains("NEXT STEP"), "{v:?}");
            assert!(
                !text.contains('\x1b') && !text.contains('\x07'),
                "{v:?}: control chars"
            );
        }
        let text = render_text(&report(Verdict::Stopped));
        assert!(text.starts_with("STOPPED: /opt/servicenow/mid/agent"));
        assert!(text.contains("[WARNING] machine_shutdown"));
        assert!(text.contains("wrapper.log:12"));
    }
}
