//! Helpers shared by the lab tests: build labs with the real binary, run detect, clean up.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use midrescue::lab::{self, CreateOptions, LabCreated};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_midrescue"))
}

/// A lab that is stopped when the test ends (also on panic).
pub struct Lab {
    pub made: LabCreated,
    _dir: tempfile::TempDir,
}

impl Lab {
    pub fn new(scenario: &str, speed: f64) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let opts = CreateOptions {
            speed,
            exe: Some(bin()),
            ..CreateOptions::default()
        };
        let made = lab::create(scenario, &dir.path().join("lab"), &opts)
            .unwrap_or_else(|e| panic!("creating {scenario}: {e:#}"));
        Lab { made, _dir: dir }
    }

    /// The scenario before its upgrade (`lab create --before-upgrade`).
    pub fn before_upgrade(scenario: &str) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let opts = CreateOptions {
            speed: 10.0,
            exe: Some(bin()),
            before_upgrade: true,
            ..CreateOptions::default()
        };
        let made = lab::create(scenario, &dir.path().join("lab"), &opts)
            .unwrap_or_else(|e| panic!("creating {scenario} before its upgrade: {e:#}"));
        Lab { made, _dir: dir }
    }

    pub fn root(&self) -> &Path {
        &self.made.root
    }

    pub fn agent(&self) -> &Path {
        &self.made.agent_dir
    }

    /// Every lab process pid recorded in the lab file.
    pub fn pids(&self) -> Vec<u32> {
        let i = lab::read_lab_info(self.root()).unwrap();
        [i.mid_pid, i.simulator_pid, i.instance_pid]
            .into_iter()
            .flatten()
            .collect()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = lab::stop(&self.made.root);
    }
}

/// `midrescue detect --agent-dir <agent> --json`, parsed.
pub fn detect(agent: &Path, log_dir: &Path) -> serde_json::Value {
    let out = Command::new(bin())
        .arg("--log-file")
        .arg(log_dir.join("detect.log"))
        .args(["detect", "--json", "--agent-dir"])
        .arg(agent)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "detect output is no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn finding_codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

/// Whether a pid is a live (non-zombie) process.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}
