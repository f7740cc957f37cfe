//! `midrescue resume` end to end: the real binary against lab scenarios (real files, real
//! processes, the instance stand-in), plus killing it mid-run (SIGKILL, SIGHUP to its whole
//! process group) while the upgrade must carry on to the end.

#![cfg(unix)]

mod lab_common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use lab_common::{Lab, bin, wait_for};
use midrescue::lab::{self, MidStatus};

const SPEED: f64 = 25.0;

fn resume(l: &Lab, out: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let mut cmd = Command::new(bin());
    cmd.arg("--log-file")
        .arg(out.join("midrescue.log"))
        .args(["resume", "--json", "--timeout", "60s", "--agent-dir"])
        .arg(l.agent())
        .arg("--out")
        .arg(out)
        .args(extra)
        .stdin(Stdio::null());
    if let Some(i) = &l.made.instance {
        cmd.env("MIDRESCUE_INSTANCE_PASSWORD", &i.password);
    }
    let output = cmd.output().unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON outcome ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, json)
}

fn instance_args(l: &Lab) -> Vec<String> {
    let i = l.made.instance.as_ref().expect("lab instance stand-in");
    vec!["--instance-user".into(), i.user.clone()]
}

fn progress(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn recoverable_scenarios_reach_up_confirmed_by_the_instance() {
    for name in [
        "file-lock-timeout",
        "antivirus-access-denied",
        "pre-rome-os-temp",
        "half-deleted-lib",
    ] {
        let l = Lab::new(name, SPEED);
        let out = tempfile::tempdir().unwrap();
        let args = instance_args(&l);
        let mut extra: Vec<&str> = vec!["--yes"];
        extra.extend(args.iter().map(String::as_str));
        let (o, j) = resume(&l, out.path(), &extra);
        assert_eq!(j["outcome"], "recovered", "{name}: {j:#}\n{}", progress(&o));
        assert_eq!(o.status.code(), Some(0), "{name}");
        assert_eq!(j["fallback_used"], false, "{name}");
        let ms: Vec<&str> = j["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        for m in [
            "upgrade_started",
            "mid_started",
            "connected",
            "version_is_target",
            "instance_up",
        ] {
            assert!(ms.contains(&m), "{name}: {m} missing in {ms:?}");
        }
        let bundle = j["bundle"].as_str().unwrap();
        assert!(Path::new(bundle).is_file(), "{name}: bundle written first");
        assert!(bundle.starts_with(&out.path().display().to_string()));
        let text = progress(&o);
        assert!(
            text.contains("[agent] ") && text.contains("==> "),
            "{name}: streamed lines\n{text}"
        );
        let info = lab::read_lab_info(l.root()).unwrap();
        assert_eq!(info.installed_version, info.target_version, "{name}");
    }
}

#[test]
fn service_not_installed_reaches_up_only_through_the_fallback() {
    let l = Lab::new("service-not-installed", SPEED);
    let out = tempfile::tempdir().unwrap();
    let (o, j) = resume(&l, out.path(), &["--yes"]);
    assert_eq!(j["outcome"], "recovered", "{j:#}\n{}", progress(&o));
    assert_eq!(j["fallback_used"], true);
    assert!(progress(&o).contains("service is not installed"));

    // Without --yes and without a terminal nothing runs at all.
    let l = Lab::new("service-not-installed", SPEED);
    let out = tempfile::tempdir().unwrap();
    let (o, j) = resume(&l, out.path(), &[]);
    assert_eq!(j["outcome"], "declined", "{j:#}");
    assert_eq!(o.status.code(), Some(1));
    assert!(progress(&o).contains("use --yes"));
}

#[test]
fn rerun_that_fails_again_ends_failed_with_the_new_evidence() {
    let l = Lab::new("rerun-fails-again", SPEED);
    let out = tempfile::tempdir().unwrap();
    let (o, j) = resume(&l, out.path(), &["--yes"]);
    assert_eq!(j["outcome"], "failed", "{j:#}\n{}", progress(&o));
    assert_eq!(o.status.code(), Some(1));
    let evidence = j["evidence"].as_array().unwrap();
    assert!(!evidence.is_empty());
    assert!(j["next_step"].as_str().unwrap().contains("KB0713557"));
    assert!(Path::new(j["bundle"].as_str().unwrap()).is_file());
    let text = progress(&o);
    assert!(
        text.contains("Evidence:") && text.contains("Support bundle:"),
        "{text}"
    );
}

#[test]
fn healthy_and_temp_folder_lost_are_refused_with_a_reason() {
    let l = Lab::new("healthy", SPEED);
    let out = tempfile::tempdir().unwrap();
    let (o, j) = resume(&l, out.path(), &["--yes"]);
    assert_eq!(j["outcome"], "refused");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        j["reason"].as_str().unwrap().contains("nothing to re-run"),
        "{j:#}"
    );
    assert!(
        std::fs::read_dir(out.path())
            .unwrap()
            .all(|e| e.unwrap().file_name() == "midrescue.log"),
        "nothing written"
    );

    let l = Lab::new("temp-folder-lost", SPEED);
    let (_, j) = resume(&l, out.path(), &["--yes"]);
    assert_eq!(j["outcome"], "refused");
    assert_eq!(j["verdict"], "temp_folder_lost");
    assert!(
        j["next_step"].as_str().unwrap().contains("KB0713557"),
        "{j:#}"
    );
}

#[test]
fn dry_run_prints_command_folder_and_user_and_runs_nothing() {
    let l = Lab::new("file-lock-timeout", SPEED);
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(bin())
        .arg("--log-file")
        .arg(out.path().join("m.log"))
        .args(["resume", "--dry-run", "--agent-dir"])
        .arg(l.agent())
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("glide-dist-upgrade.sh start"), "{text}");
    assert!(text.contains("as user:"), "{text}");
    assert!(text.contains("upgrade-wrapper/bin"), "{text}");
    assert!(text.contains("nothing was run"));
    let info = lab::read_lab_info(l.root()).unwrap();
    assert_eq!(info.reruns, 0);
    assert_ne!(info.installed_version, info.target_version);

    // A Windows-layout lab runs the simulator, and still shows what a real host would run.
    let l = Lab::new("antivirus-access-denied", SPEED);
    let o = Command::new(bin())
        .arg("--log-file")
        .arg(out.path().join("m2.log"))
        .args(["resume", "--dry-run", "--agent-dir"])
        .arg(l.agent())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    // The .bat by its own path: std runs it through cmd.exe with safe escaping.
    assert!(text.contains("real host:  "), "{text}");
    assert!(
        text.contains("upgrade-wrapper/bin/glide-dist-upgrade.bat start"),
        "{text}"
    );
    assert!(text.contains("glide-dist-upgrade.bat start"), "{text}");
}

/// Start `resume`, wait until it started the upgrade, then send `signal` to its whole process
/// group (as a dropped SSH link does to the foreground job): the upgrade must still finish.
fn killed_mid_run_the_upgrade_still_completes(signal: libc::c_int) {
    let l = Lab::new("file-lock-timeout", 3.0);
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin())
        .arg("--log-file")
        .arg(out.path().join("m.log"))
        .args(["resume", "--yes", "--timeout", "120s", "--agent-dir"])
        .arg(l.agent())
        .arg("--out")
        .arg(out.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let pgid = child.id() as libc::pid_t;
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let started = lines.by_ref().map_while(Result::ok).find_map(|l| {
        l.strip_prefix("Started (pid ")
            .and_then(|r| r.split(')').next())
            .and_then(|p| p.parse::<u32>().ok())
    });
    let upgrade_pid = started.expect("resume never started the upgrade");
    // The upgrade runs from a folder outside the install (a cwd inside would lock it on Windows).
    let cwd = std::fs::read_link(format!("/proc/{upgrade_pid}/cwd"))
        .expect("the upgrade still runs right after it started");
    assert!(
        !cwd.starts_with(l.root()),
        "upgrade cwd {} is inside the lab",
        cwd.display()
    );
    assert_eq!(cwd, out.path().canonicalize().unwrap());
    // SAFETY: sending a signal to the process group we created.
    assert_eq!(unsafe { libc::killpg(pgid, signal) }, 0);
    let status = child.wait().unwrap();
    assert!(!status.success(), "resume was killed");
    drop(lines);
    let up = wait_for(Duration::from_secs(90), || {
        lab::read_lab_info(l.root())
            .map(|i| i.mid_status == MidStatus::Up && i.installed_version == i.target_version)
            .unwrap_or(false)
    });
    assert!(
        up,
        "the upgrade did not finish after resume died: {:?}",
        lab::read_lab_info(l.root())
    );
    let output = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("upgrade-output-")
        })
        .expect("captured output file");
    let text = std::fs::read_to_string(output).unwrap();
    assert!(
        text.contains("started"),
        "the upgrade's own output kept arriving: {text}"
    );
}

#[test]
fn sigkill_of_resume_leaves_the_upgrade_running_to_completion() {
    killed_mid_run_the_upgrade_still_completes(libc::SIGKILL);
}

#[test]
fn sighup_of_resume_leaves_the_upgrade_running_to_completion() {
    killed_mid_run_the_upgrade_still_completes(libc::SIGHUP);
}

#[test]
fn instance_that_refuses_the_credentials_does_not_count_as_up() {
    let l = Lab::new("file-lock-timeout", SPEED);
    let out = tempfile::tempdir().unwrap();
    let user = l.made.instance.as_ref().unwrap().user.clone();
    let o = Command::new(bin())
        .arg("--log-file")
        .arg(out.path().join("m.log"))
        .args([
            "resume",
            "--json",
            "--yes",
            "--timeout",
            // Long enough for the lab MID to come up locally on a loaded 2-core CI machine, so
            // that the instance check (and its refusal) is what holds the verdict back.
            "25s",
            "--instance-user",
            &user,
            "--agent-dir",
        ])
        .arg(l.agent())
        .arg("--out")
        .arg(out.path())
        .env("MIDRESCUE_INSTANCE_PASSWORD", "wrong-password")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = progress(&o);
    assert_eq!(j["outcome"], "timed_out", "{j:#}\n{text}");
    assert!(
        j["reason"]
            .as_str()
            .unwrap()
            .contains("the instance to report the MID Up"),
        "{j:#}"
    );
    // Count the refusal message, not "401": log timestamps such as `06:23:35.401` contain it.
    assert_eq!(
        text.matches("refused the user").count(),
        1,
        "the refusal is shown once:\n{text}"
    );
    assert!(
        text.contains("(401)"),
        "the refusal names the HTTP status:\n{text}"
    );
    assert!(
        !text.contains("wrong-password"),
        "the password never reaches the screen"
    );
    let log = std::fs::read_to_string(out.path().join("m.log")).unwrap();
    assert!(!log.contains("wrong-password"), "nor midrescue's log");
    // Locally it did come up: the instance check is what held the verdict back.
    let ms: Vec<&str> = j["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        ms.contains(&"connected") && !ms.contains(&"instance_up"),
        "{ms:?}"
    );
}
