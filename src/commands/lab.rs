//! `midrescue lab ...`: list, create and stop training labs, plus the hidden internals the
//! lab's scripts and processes run.

use std::path::Path;

use crate::cli::{EXIT_FAILED, EXIT_OK, LabCommand};
use crate::lab;
use crate::lab::registry::{self, LabCheck};

/// Say on stderr when the install has a lab file that midrescue does not trust (not a lab it
/// made): the install is then treated as a real one.
pub fn warn_if_lab_file_ignored(agent_dir: &Path) {
    if let LabCheck::Ignored { lab_file, why } = registry::check_install(agent_dir) {
        eprintln!(
            "midrescue: ignoring the lab file {}: {}. Treating the install as a real MID Server.",
            crate::sanitize::path(&lab_file),
            crate::sanitize::text(&why)
        );
    }
}

pub fn run(cmd: &LabCommand) -> anyhow::Result<u8> {
    match cmd {
        LabCommand::List => {
            let width = lab::scenarios()
                .iter()
                .map(|s| s.name.len())
                .max()
                .unwrap_or(0);
            println!("Scenarios (midrescue lab create SCENARIO DIR, or midrescue demo --scenario SCENARIO):");
            for s in lab::scenarios() {
                println!(
                    "  {:<width$}  {:<7}  {}",
                    s.name,
                    s.platform.as_str(),
                    s.summary
                );
            }
            let labs = lab::registry::list().unwrap_or_default();
            if labs.is_empty() {
                println!("\nLabs you made: none.");
            } else {
                println!("\nLabs you made:");
                for l in &labs {
                    println!(
                        "  {:<7}  {:<24}  {}",
                        if l.running { "running" } else { "stopped" },
                        crate::sanitize::text(&l.scenario),
                        crate::sanitize::path(&l.root)
                    );
                }
                println!("Stop one: midrescue lab stop DIR. Remove the stopped ones: midrescue lab clean");
            }
            Ok(EXIT_OK)
        }
        LabCommand::Clean => {
            let mut removed = 0;
            for l in lab::registry::list()? {
                if l.running {
                    println!(
                        "kept     {} (running: midrescue lab stop {})",
                        crate::sanitize::path(&l.root),
                        crate::sanitize::path(&l.root)
                    );
                    continue;
                }
                // Only a folder that is still a lab midrescue made (registered, its lab file ours).
                if !matches!(
                    lab::registry::check_install(&l.root.join("agent")),
                    lab::registry::LabCheck::Lab(_)
                ) {
                    println!(
                        "skipped  {} (no longer looks like a lab midrescue made)",
                        crate::sanitize::path(&l.root)
                    );
                    continue;
                }
                match std::fs::remove_dir_all(&l.root) {
                    Ok(()) => {
                        removed += 1;
                        println!("removed  {}", crate::sanitize::path(&l.root));
                    }
                    Err(e) => println!(
                        "could not remove {}: {e}",
                        crate::sanitize::path(&l.root)
                    ),
                }
            }
            println!("{removed} stopped lab(s) removed.");
            Ok(EXIT_OK)
        }
        LabCommand::Create(a) => {
            let opts = lab::CreateOptions {
                platform: a.platform,
                speed: a.speed,
                log_mb: a.log_mb,
                exe: None,
                registry_dir: None,
                before_upgrade: a.before_upgrade,
            };
            let made = lab::create(&a.scenario, &a.dir, &opts)?;
            println!(
                "Lab `{}` ({}) created in {}",
                made.scenario.name,
                made.platform,
                crate::sanitize::path(&made.root)
            );
            println!(
                "  MID install:   {}",
                crate::sanitize::path(&made.agent_dir)
            );
            if let Some(t) = &made.temp_dir {
                println!("  upgrade temp:  {}", crate::sanitize::path(t));
            }
            if let Some(i) = &made.instance {
                println!(
                    "  instance:      {} (user {}, password {})",
                    i.url.as_deref().unwrap_or("-"),
                    i.user,
                    i.password
                );
            }
            if a.before_upgrade {
                println!("  state:         before the upgrade (the MID runs; its hazard is in place)");
                println!(
                    "Try:  midrescue preflight --agent-dir {}",
                    crate::sanitize::path(&made.agent_dir)
                );
            } else {
                println!("  expected:      {}", made.scenario.verdict.as_str());
                println!(
                    "Try:  midrescue detect --agent-dir {}",
                    crate::sanitize::path(&made.agent_dir)
                );
            }
            println!(
                "Stop: midrescue lab stop {}",
                crate::sanitize::path(&made.root)
            );
            Ok(EXIT_OK)
        }
        LabCommand::Stop { dir } => {
            let r = lab::stop(dir)?;
            for (role, pid) in &r.ended {
                println!("ended   {role} (pid {pid})");
            }
            for (role, pid) in &r.killed {
                println!("killed  {role} (pid {pid})");
            }
            if r.ended.is_empty() && r.killed.is_empty() {
                println!("nothing was running in {}", crate::sanitize::path(dir));
            }
            Ok(EXIT_OK)
        }
        LabCommand::Simulate {
            lab: root,
            target,
            args,
        } => lab::sim::simulate(root, *target, args),
        LabCommand::MidProcess { lab: root, running } => lab::mid_process::run(root, *running),
        LabCommand::Instance { lab: root } => lab::instance::run(root),
        LabCommand::HoldLock { lab: root, file } => lab::lock_holder::run(root, file),
    }
    .or_else(|e| {
        eprintln!("midrescue lab: {e:#}");
        Ok(EXIT_FAILED)
    })
}
