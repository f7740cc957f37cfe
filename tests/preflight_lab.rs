//! Every lab scenario built in its pre-upgrade state (`lab create --before-upgrade`) fails the
//! preflight check that would have caught its cause; a scenario with no such cause, and the
//! healthy lab, pass every check. Real labs: real processes holding files, real modes.

mod lab_common;

use std::process::Command;

use lab_common::{Lab, bin};
use midrescue::host::Host;
use midrescue::preflight::{self, CheckId, Options, Status};

/// The check that catches each scenario's cause before the upgrade (`None`: nothing to catch).
fn catching_check(scenario: &str) -> Option<CheckId> {
    match scenario {
        // A file the upgrade must replace is held open (lock, antivirus, a java from the JRE).
        "file-lock-timeout"
        | "antivirus-access-denied"
        | "service-not-installed"
        | "pre-rome-os-temp"
        | "half-deleted-lib"
        | "rerun-fails-again"
        | "temp-folder-lost" => Some(CheckId::FilesHeldOpen),
        "script-not-executable" => Some(CheckId::ScriptsTrusted),
        "upgrade-service-conflict" => Some(CheckId::MidNameUnique),
        // An upgrade that is simply running, and a healthy MID: no cause to catch.
        "upgrade-in-progress" | "healthy" => None,
        other => panic!("scenario {other} has no preflight expectation: add it here"),
    }
}

fn check_scenario(name: &str) {
    let lab = Lab::before_upgrade(name);
    let host = Host::for_install(lab.agent());
    assert!(host.lab_root.is_some(), "{name}: not seen as a lab");
    let r = preflight::run(lab.agent(), &host, &Options::default());
    let failing: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| c.id)
        .collect();
    match catching_check(name) {
        Some(id) => {
            assert_eq!(failing, vec![id], "{name}: {:#?}", r.checks);
            assert_eq!(r.exit_code(), 3);
        }
        None => {
            let not_passed: Vec<_> = r
                .checks
                .iter()
                .filter(|c| c.status != Status::Pass)
                .collect();
            assert!(not_passed.is_empty(), "{name}: {not_passed:#?}");
            assert_eq!(r.exit_code(), 0);
        }
    }
}

macro_rules! scenarios {
    ($($t:ident => $name:literal),* $(,)?) => {
        $( #[test] fn $t() { check_scenario($name); } )*

        #[test]
        fn every_scenario_is_covered() {
            let mut covered = vec![$($name),*];
            covered.sort();
            let mut all: Vec<_> = midrescue::lab::scenarios().iter().map(|s| s.name).collect();
            all.sort();
            assert_eq!(covered, all);
        }
    };
}

scenarios! {
    file_lock_timeout => "file-lock-timeout",
    antivirus_access_denied => "antivirus-access-denied",
    service_not_installed => "service-not-installed",
    pre_rome_os_temp => "pre-rome-os-temp",
    half_deleted_lib => "half-deleted-lib",
    rerun_fails_again => "rerun-fails-again",
    script_not_executable => "script-not-executable",
    temp_folder_lost => "temp-folder-lost",
    upgrade_in_progress => "upgrade-in-progress",
    upgrade_service_conflict => "upgrade-service-conflict",
    healthy => "healthy",
}

/// The command's faces: exit codes, JSON and text agree with the engine.
#[test]
fn the_command_exits_3_on_a_failure_and_0_when_all_pass() {
    let logs = tempfile::tempdir().unwrap();
    let run = |lab: &Lab, json: bool| {
        let mut c = Command::new(bin());
        c.arg("--log-file")
            .arg(logs.path().join("preflight.log"))
            .args(["preflight", "--agent-dir"])
            .arg(lab.agent());
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let bad = Lab::before_upgrade("file-lock-timeout");
    let out = run(&bad, true);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "fail");
    assert_eq!(v["schema_version"], 1);
    let held = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "files_held_open")
        .unwrap();
    assert_eq!(held["status"], "fail");
    assert!(
        held["evidence"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("lib/commons-io.jar")
    );
    let text = String::from_utf8(run(&bad, false).stdout).unwrap();
    assert!(text.starts_with("PREFLIGHT FAILED"), "{text}");
    assert!(text.contains("[FAIL] No other process holds files in bin, lib or jre"));
    assert!(text.contains("commons-io.jar"));

    let good = Lab::before_upgrade("healthy");
    let out = run(&good, true);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "pass");
    assert_eq!(v["summary"]["fail"], 0);
}

#[test]
fn no_install_is_exit_3_and_says_nothing_was_checked() {
    let d = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .arg("--log-file")
        .arg(d.path().join("l.log"))
        .args(["preflight", "--agent-dir"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing was checked"), "{err}");
}
