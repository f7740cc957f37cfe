//! The Distribution Upgrade itself (§4.5, §5.3), shared by the generator (which replays the
//! first, crashed run on a virtual clock) and the simulator (re-runs on the real clock): writes
//! `glide-dist-upgrade.log`, deletes and copies files under `agent/{bin,lib,jre}` from the
//! extracted build, and appends its log to `wrapper.log`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Local};

use super::files;
use super::history;
use super::lines::{self, Level};
use super::scenario::Era;
use super::state;
use crate::platform::Platform;

const MAIN: &str = "com.snc.dist.mid_upgrade.UpgradeMain";

/// What goes wrong in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    None,
    /// `rel` (under `agent/`) cannot be deleted; retried `retries` times, then fatal.
    Locked {
        rel: String,
        retries: u32,
    },
    /// Writing `rel` fails with `(Access is denied)`.
    AccessDenied(String),
    /// `jre/bin` cannot be deleted.
    JreDelete,
}

/// Virtual time (history) or real time scaled by a speed factor (the simulator).
pub enum Clock {
    Virtual(DateTime<Local>),
    Real { speed: f64, root: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Failed,
    /// The lab was stopped or removed while running.
    Aborted,
}

/// How the wrapper was started: decides the banner's first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    Daemon,
    Service,
    Console,
}

pub struct Upgrade<'a> {
    pub agent: &'a Path,
    pub temp: &'a Path,
    pub platform: Platform,
    pub era: Era,
    pub name: &'a str,
    pub target_version: &'a str,
    pub fault: Fault,
    pub clock: Clock,
    pub launch: Launch,
    /// Echo the LPTM lines to stdout in console format (the wrapper exe in a console).
    pub echo: bool,
}

/// Internal early exit of a run.
enum Stop {
    Failed,
    Aborted,
}

type Step = Result<(), Stop>;

impl Upgrade<'_> {
    fn log_path(&self) -> PathBuf {
        self.temp
            .join("upgrade-wrapper")
            .join("logs")
            .join("glide-dist-upgrade.log")
    }

    fn now(&self) -> DateTime<Local> {
        match &self.clock {
            Clock::Virtual(t) => *t,
            Clock::Real { .. } => Local::now(),
        }
    }

    /// Let `secs` (at speed 1) pass; on the real clock, notice a stopped or removed lab.
    fn pause(&mut self, secs: f64) -> Step {
        match &mut self.clock {
            Clock::Virtual(t) => {
                *t += chrono::Duration::milliseconds((secs * 1000.0) as i64);
                Ok(())
            }
            Clock::Real { speed, root } => {
                let mut left = Duration::from_secs_f64((secs / *speed).max(0.0));
                loop {
                    if state::lab_gone_or_stopped(root) {
                        return Err(Stop::Aborted);
                    }
                    let step = left.min(Duration::from_millis(100));
                    if step.is_zero() {
                        return Ok(());
                    }
                    std::thread::sleep(step);
                    left -= step;
                }
            }
        }
    }

    fn emit(&self, text: &str) {
        history::append(&self.log_path(), text);
        if self.echo {
            for l in text.lines() {
                let parts: Vec<&str> = l.splitn(4, " | ").collect();
                if let [_, src, _, msg] = parts[..] {
                    println!("{src} | {msg}");
                }
            }
        }
    }

    fn status(&self, msg: &str) {
        self.emit(&lines::lptm("STATUS", "wrapper", self.now(), msg));
    }

    fn record(&mut self, method: &str, level: Level, msg: &str) {
        let t = self.now();
        self.emit(&lines::jvm_record(t, MAIN, method, level, msg));
        if let Clock::Virtual(v) = &mut self.clock {
            *v += chrono::Duration::milliseconds(40);
        }
    }

    fn path(&self, rel: &str) -> String {
        self.agent.join(rel).display().to_string()
    }

    /// Run the whole upgrade.
    pub fn run(&mut self) -> Outcome {
        match self.steps() {
            Ok(()) => Outcome::Completed,
            Err(Stop::Failed) => {
                self.status("<-- Wrapper Stopped");
                Outcome::Failed
            }
            Err(Stop::Aborted) => Outcome::Aborted,
        }
    }

    fn steps(&mut self) -> Step {
        let first = match self.launch {
            Launch::Daemon => "--> Wrapper Started as Daemon",
            Launch::Service => "--> Wrapper Started as Service",
            Launch::Console => "--> Wrapper Started as Console",
        };
        for msg in [
            first,
            "Java Service Wrapper Standard Edition 64-bit 3.5.36",
            "  Copyright (C) 1999-2020 Tanuki Software, Ltd. All Rights Reserved.",
            "    http://wrapper.tanukisoftware.com",
            "  Licensed to ServiceNow, Inc. for MID",
            "",
            "Launching a JVM...",
        ] {
            self.status(msg);
        }
        self.pause(1.5)?;
        let t = self.now();
        self.emit(&lines::lptm(
            "INFO",
            "jvm 1",
            t,
            "WrapperManager: Initializing...",
        ));
        self.pause(1.0)?;
        if self.era == Era::PreRome && self.platform == Platform::Windows {
            let msg = format!(
                "Added service `snc-platform-dist-upgrade-{}` to upgrade marker file.",
                self.name
            );
            self.record("main", Level::Info, &msg);
        }
        let msg = format!(
            "Upgrading MID Server at `{}` to {}",
            self.agent.display(),
            self.target_version
        );
        self.record("main", Level::Info, &msg);
        for dir in ["bin", "lib", "jre"] {
            self.replace_dir(dir)?;
        }
        self.pause(1.0)?;
        self.record("main", Level::Info, "MID Server files upgraded.");
        self.append_to_wrapper_log();
        self.record(
            "startMidService",
            Level::Info,
            "Starting the MID Server service.",
        );
        self.pause(1.0)?;
        self.status("<-- Wrapper Stopped");
        Ok(())
    }

    /// Pre-Rome (and the JRE always): delete everything, then copy the new build. Rome+:
    /// replace only the files that differ, then drop the ones the new build no longer has.
    fn replace_dir(&mut self, dir: &str) -> Step {
        let new_root = self.temp.join("agent");
        let new: Vec<String> = files::build_files(self.platform, dir)
            .into_iter()
            .filter(|r| new_root.join(r).is_file())
            .collect();
        let old = existing_files(self.agent, dir);
        let full = self.era == Era::PreRome || dir == "jre";
        if dir == "jre" {
            let msg = format!("Removing previous MID JRE at `{}`.", self.path("jre"));
            self.record("deleteJreDirIfSourced", Level::Info, &msg);
        }
        if full {
            for rel in &old {
                self.delete(rel)?;
            }
            for rel in &new {
                self.copy(rel)?;
            }
        } else {
            for rel in &new {
                if self.fault == Fault::AccessDenied(rel.clone()) {
                    // The blocked file cannot even be opened for writing: it stays as it was.
                    self.copy(rel)?;
                }
                let differs = std::fs::read(self.agent.join(rel)).ok()
                    != std::fs::read(new_root.join(rel)).ok();
                if differs {
                    if self.agent.join(rel).exists() {
                        self.delete(rel)?;
                    }
                    self.copy(rel)?;
                }
            }
            for rel in old.iter().filter(|r| !new.contains(r)) {
                self.delete(rel)?;
            }
        }
        Ok(())
    }

    fn delete(&mut self, rel: &str) -> Step {
        if files::preserved(rel) {
            return Ok(());
        }
        if let Fault::Locked {
            rel: locked,
            retries,
        } = self.fault.clone()
            && locked == rel
        {
            let p = self.path(rel);
            for _ in 0..retries {
                let msg = format!(
                    "{p} cannot be deleted: {p} (The process cannot access the file because it is being used by another process)"
                );
                self.record("deleteFile", Level::Warning, &msg);
                self.pause(10.0)?;
            }
            let msg = format!(
                "com.snc.dist.mid_upgrade.UpgradeException: java.nio.file.FileSystemException: {p}: The process cannot access the file because it is being used by another process."
            );
            self.record("main", Level::Severe, &msg);
            return Err(Stop::Failed);
        }
        if self.fault == Fault::JreDelete && rel.starts_with("jre/bin/") {
            let d = self.path("jre/bin");
            let msg = format!("java.io.IOException: Unable to delete directory {d}.");
            self.record("deleteJreDirIfSourced", Level::Warning, &msg);
            self.pause(2.0)?;
            let msg = format!(
                "com.snc.dist.mid_upgrade.UpgradeException: java.io.IOException: Unable to delete directory {d}."
            );
            self.record("main", Level::Severe, &msg);
            return Err(Stop::Failed);
        }
        let _ = std::fs::remove_file(self.agent.join(rel));
        self.pause(0.25)
    }

    fn copy(&mut self, rel: &str) -> Step {
        if self.fault == Fault::AccessDenied(rel.to_string()) {
            let msg = format!(
                "com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: {} (Access is denied)",
                self.path(rel)
            );
            self.record("copyFile", Level::Severe, &msg);
            return Err(Stop::Failed);
        }
        let to = self.agent.join(rel);
        if let Some(parent) = to.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if std::fs::copy(self.temp.join("agent").join(rel), &to).is_err() {
            let msg = format!(
                "com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: {} (No such file or directory)",
                self.path(rel)
            );
            self.record("copyFile", Level::Severe, &msg);
            return Err(Stop::Failed);
        }
        self.pause(0.35)
    }

    /// After replacing files the upgrade appends its log to `wrapper.log` (§4.3).
    fn append_to_wrapper_log(&self) {
        let Ok(log) = std::fs::read_to_string(self.log_path()) else {
            return;
        };
        let text = format!(
            "***********UPGRADE MAIN LOGIN START***********\n{log}***********UPGRADE MAIN LOGIN END***********\n"
        );
        history::append(&self.agent.join("logs").join("wrapper.log"), &text);
    }
}

/// Files under `agent/<dir>` as `rel` paths: the build's known order first, then the rest.
fn existing_files(agent: &Path, dir: &str) -> Vec<String> {
    let mut found: Vec<String> = walkdir::WalkDir::new(agent.join(dir))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            e.path()
                .strip_prefix(agent)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    let order = |r: &String| {
        [Platform::Linux, Platform::Windows]
            .iter()
            .flat_map(|p| files::build_files(*p, dir))
            .position(|k| &k == r)
            .unwrap_or(usize::MAX)
    };
    found.sort_by_key(|r| (order(r), r.clone()));
    found
}
