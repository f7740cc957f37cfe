//! The simulated Distribution Upgrade, run as the KB says (the script from its folder with
//! `start`, or the lab's `simulator_command` for Windows layouts), the MID process it starts,
//! the instance stand-in, `lab stop`, and the lab's confinement to its folder.

mod lab_common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use lab_common::{Lab, alive, bin, detect, wait_for};
use midrescue::lab::{self, Rerun, SimTarget, Stage};
use midrescue::platform::exec::CommandSpec;
use midrescue::platform::service::{ServiceState, StartType};

/// Fast enough that each replay takes well under a second or two.
const SPEED: f64 = 40.0;

fn run_spec(spec: &CommandSpec, cwd: &Path) -> Output {
    Command::new(&spec.program)
        .args(&spec.args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// Run the recovery the way the runner does: the script from `upgrade-wrapper`, or for a
/// Windows layout the lab's simulator command.
fn run_script(l: &Lab) -> std::io::Result<Output> {
    let temp = l.made.temp_dir.clone().unwrap();
    let uw = temp.join("upgrade-wrapper");
    if l.made.platform == midrescue::platform::Platform::Linux {
        // As the KB says: from its folder, `./glide-dist-upgrade.sh start`.
        return Command::new("./glide-dist-upgrade.sh")
            .arg("start")
            .current_dir(uw.join("bin"))
            .output();
    }
    let spec = lab::simulator_command(l.root(), SimTarget::Script).unwrap();
    Ok(run_spec(&spec, &uw))
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
}

fn upgrade_log(temp: &Path) -> PathBuf {
    temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log")
}

/// After a successful re-run: the MID runs on the new build and the temp folder is gone.
fn assert_upgraded(l: &Lab) {
    let svc = lab::service_control(l.root()).unwrap();
    assert!(
        wait_for(Duration::from_secs(15), || {
            svc.query().state == ServiceState::Running
                && !l.made.temp_dir.as_ref().unwrap().exists()
        }),
        "{}: the MID did not come up: {:?}",
        l.made.scenario.name,
        svc.query()
    );
    let a = l.agent();
    let meta = read(&a.join("package/meta/mid-core.meta.properties"));
    assert!(meta.contains(&l.made.target_version), "{meta}");
    for rel in ["lib/mid.jar", "lib/commons-io.jar", "jre/release"] {
        let text = read(&a.join(rel));
        let want = if rel == "jre/release" {
            l.made.scenario.era.jre_versions().1.to_string()
        } else {
            l.made.target_version.clone()
        };
        assert!(
            text.contains(&want),
            "{}: {rel} is not new: {text}",
            l.made.scenario.name
        );
    }
    let lib_count = std::fs::read_dir(a.join("lib")).unwrap().count();
    assert!(lib_count > 25, "lib has {lib_count} files");
    let wrapper = read(&a.join("logs/wrapper.log"));
    let begin = wrapper
        .rfind("UPGRADE MAIN LOGIN START")
        .expect("upgrade log appended");
    assert!(wrapper[begin..].contains("UPGRADE MAIN LOGIN END"));
    assert!(wrapper[begin..].contains("Launching a JVM..."));
    let agent_log = read(&a.join("logs/agent0.log.0"));
    let marker = agent_log.rfind("Added marker").unwrap();
    let tail = &agent_log[marker..];
    assert!(
        tail.contains("MID Server started"),
        "no start after the upgrade"
    );
    assert!(tail.contains("Successfully connected to instance: "));
    let pid: u32 = read(&a.join("work/mid.pid")).trim().parse().unwrap();
    assert!(alive(pid));
    let report = detect(a, l.root());
    assert_eq!(report["verdict"], "healthy", "{}", l.made.scenario.name);
}

#[test]
fn recoverable_scenarios_come_up_on_the_new_build_after_a_rerun() {
    for sc in lab::scenarios()
        .iter()
        .filter(|s| s.stage == Stage::Crashed && s.rerun == Rerun::Succeeds)
    {
        let l = Lab::new(sc.name, SPEED);
        let before = read(&upgrade_log(l.made.temp_dir.as_ref().unwrap()));
        if sc.name == "script-not-executable" {
            let err = run_script(&l).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
            let script = l.made.script.clone().unwrap();
            let out = Command::new("chmod")
                .arg("+x")
                .arg(&script)
                .output()
                .unwrap();
            assert!(out.status.success());
        }
        let out = run_script(&l).unwrap();
        assert!(
            out.status.success(),
            "{}: {}\n{}",
            sc.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!before.contains("MID Server files upgraded."));
        assert_upgraded(&l);
        let wrapper = read(&l.agent().join("logs/wrapper.log"));
        assert!(
            wrapper.contains("INFO: MID Server files upgraded."),
            "{}",
            sc.name
        );
        // `lab stop` ends the MID as a service stop would: stop lines, no pid file.
        let pids = l.pids();
        let report = lab::stop(l.root()).unwrap();
        assert!(report.killed.is_empty(), "{report:?}");
        // A process that said it stopped may still be in its exit path on a loaded machine.
        lab_common::wait_for(std::time::Duration::from_secs(10), || {
            pids.iter().all(|p| !alive(*p))
        });
        let left: Vec<u32> = pids.iter().copied().filter(|p| alive(*p)).collect();
        assert!(
            left.is_empty(),
            "{}: still running after lab stop: {left:?}",
            sc.name
        );
        assert!(!l.agent().join("work/mid.pid").exists());
        let svc = lab::service_control(l.root()).unwrap();
        assert_eq!(svc.query().state, ServiceState::Stopped);
        assert!(read(&l.agent().join("logs/agent0.log.0")).contains("MID Server stopped\n"));
    }
}

#[test]
fn rerun_fails_again_with_new_lock_lines_and_the_mid_stays_down() {
    let l = Lab::new("rerun-fails-again", SPEED);
    let temp = l.made.temp_dir.clone().unwrap();
    let count = |s: &str| s.matches("being used by another process").count();
    let before = count(&read(&upgrade_log(&temp)));
    let out = run_script(&l).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let after = read(&upgrade_log(&temp));
    assert!(count(&after) > before + 3, "{before} -> {}", count(&after));
    assert!(after.trim_end().ends_with("<-- Wrapper Stopped"));
    assert!(
        after
            .matches("SEVERE: com.snc.dist.mid_upgrade.UpgradeException")
            .count()
            >= 2
    );
    let svc = lab::service_control(l.root()).unwrap();
    assert_eq!(svc.query().state, ServiceState::Stopped);
    assert!(!svc.upgrade_process_running());
    assert!(temp.exists());
    assert!(!l.agent().join("work/mid.pid").exists());
    let report = detect(l.agent(), l.root());
    assert_eq!(report["verdict"], "crashed_upgrade");
    assert!(
        report["installed_version"]
            .as_str()
            .unwrap()
            .starts_with("sandiego")
    );
}

#[test]
fn service_not_installed_only_the_wrapper_fallback_works() {
    let l = Lab::new("service-not-installed", SPEED);
    let out = run_script(&l).unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "The ServiceNow Platform Distribution Upgrade (lab-mid-01) service is not installed.\n"
    );
    let spec = lab::simulator_command(l.root(), SimTarget::WrapperExe).unwrap();
    assert!(
        spec.args
            .ends_with(&["-c".to_string(), "../conf/wrapper.conf".to_string()])
    );
    let out = run_spec(
        &spec,
        &l.made.temp_dir.clone().unwrap().join("upgrade-wrapper/bin"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("jvm 1    | "));
    assert_upgraded(&l);
}

#[test]
fn upgrade_in_progress_finishes_by_itself_and_the_instance_follows() {
    let l = Lab::new("upgrade-in-progress", 8.0);
    let svc = lab::service_control(l.root()).unwrap();
    assert!(svc.upgrade_process_running());
    assert_eq!(ecc_status(&l).0, "Upgrading");
    assert_upgraded(&l);
    assert!(!svc.upgrade_process_running());
    let (status, version) = ecc_status(&l);
    assert_eq!(status, "Up");
    assert_eq!(version, l.made.target_version);
}

/// GET the stand-in's ecc_agent record with the lab credentials: (status, version).
fn ecc_status(l: &Lab) -> (String, String) {
    let (code, body) = http_get(l, true);
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let r = &v["result"][0];
    (
        r["status"].as_str().unwrap().to_string(),
        r["version"].as_str().unwrap().to_string(),
    )
}

fn http_get(l: &Lab, auth: bool) -> (u16, String) {
    let info = lab::read_lab_info(l.root()).unwrap();
    let inst = info.instance.unwrap();
    let url = inst.url.unwrap();
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let cred =
        midrescue::lab::instance::base64(format!("{}:{}", inst.user, inst.password).as_bytes());
    let auth = if auth {
        format!("Authorization: Basic {cred}\r\n")
    } else {
        String::new()
    };
    write!(
        s,
        "GET /api/now/table/ecc_agent?sysparm_query=name%3Dlab-mid-01&sysparm_fields=name,status,version,validated,sys_updated_on&sysparm_limit=1 HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n{auth}\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp[9..12].parse().unwrap();
    let body = resp.split_once("\r\n\r\n").unwrap().1.to_string();
    (code, body)
}

#[test]
fn instance_stand_in_requires_the_lab_credentials_and_reports_down_after_a_crash() {
    let l = Lab::new("antivirus-access-denied", SPEED);
    let (code, body) = http_get(&l, false);
    assert_eq!(code, 401);
    assert!(body.contains("User Not Authenticated"));
    let (status, version) = ecc_status(&l);
    assert_eq!(status, "Down");
    assert_eq!(version, l.made.installed_version);
}

#[test]
fn service_control_keeps_the_start_type_in_the_lab_file() {
    let l = Lab::new("file-lock-timeout", SPEED);
    let svc = lab::service_control(l.root()).unwrap();
    let q = svc.query();
    assert_eq!(q.state, ServiceState::Stopped);
    assert_eq!(q.start_type, Some(StartType::Auto));
    assert_eq!(q.name.as_deref(), Some("mid"));
    svc.set_start_type(StartType::Manual).unwrap();
    assert_eq!(svc.query().start_type, Some(StartType::Manual));
    assert_eq!(
        lab::read_lab_info(l.root()).unwrap().start_type,
        Some(StartType::Manual)
    );
    // A Linux layout runs its real script; it has no wrapper-exe fallback.
    let spec = lab::simulator_command(l.root(), SimTarget::Script).unwrap();
    assert_eq!(PathBuf::from(&spec.program), l.made.script.clone().unwrap());
    assert_eq!(spec.args, ["start"]);
    assert!(lab::simulator_command(l.root(), SimTarget::WrapperExe).is_none());
}

#[test]
fn background_processes_end_when_the_lab_folder_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lab");
    let opts = lab::CreateOptions {
        speed: SPEED,
        exe: Some(bin()),
        ..lab::CreateOptions::default()
    };
    let made = lab::create("healthy", &root, &opts).unwrap();
    let info = lab::read_lab_info(&made.root).unwrap();
    let pids: Vec<u32> = [info.mid_pid, info.instance_pid]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|p| alive(*p)));
    // The MID heartbeats while it runs.
    let log = made.agent_dir.join("logs/agent0.log.0");
    let len = std::fs::metadata(&log).unwrap().len();
    assert!(wait_for(Duration::from_secs(5), || {
        std::fs::metadata(&log).unwrap().len() > len
    }));
    assert!(wait_for(
        Duration::from_secs(5),
        || std::fs::remove_dir_all(&made.root).is_ok() || !made.root.exists()
    ));
    assert!(
        wait_for(Duration::from_secs(5), || pids.iter().all(|p| !alive(*p))),
        "lab processes outlived their folder"
    );
    assert!(!made.root.exists(), "a lab process re-created the folder");
}

/// Everything under `dir`, as sorted relative paths.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.path().strip_prefix(dir).unwrap().display().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn a_lab_writes_nothing_outside_its_folder() {
    let parent = tempfile::tempdir().unwrap();
    let tmp = parent.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::write(parent.path().join("neighbour.txt"), "untouched").unwrap();
    let logs = tempfile::tempdir().unwrap();
    let root = parent.path().join("lab");
    let before = listing(parent.path());
    let cli = |args: &[&str]| {
        let out = Command::new(bin())
            .env("TMPDIR", &tmp)
            .env("MIDRESCUE_LAB_SPEED", "40")
            .arg("--log-file")
            .arg(logs.path().join("cli.log"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let root_s = root.to_string_lossy().to_string();
    cli(&["lab", "create", "pre-rome-os-temp", &root_s]);
    let info = lab::read_lab_info(&root).unwrap();
    let script = info.temp_dir.unwrap().join("upgrade-wrapper/bin");
    let out = Command::new("./glide-dist-upgrade.sh")
        .arg("start")
        .env("TMPDIR", &tmp)
        .env("MIDRESCUE_LAB_SPEED", "40")
        .current_dir(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svc = lab::service_control(&root).unwrap();
    assert!(wait_for(Duration::from_secs(15), || svc.query().state
        == ServiceState::Running));
    std::thread::sleep(Duration::from_millis(300));
    cli(&["lab", "stop", &root_s]);
    let after: Vec<String> = listing(parent.path())
        .into_iter()
        .filter(|p| p != "lab" && !p.starts_with("lab/"))
        .collect();
    let before: Vec<String> = before.into_iter().filter(|p| p != "lab").collect();
    assert_eq!(before, after, "something was written outside the lab");
    assert_eq!(
        std::fs::read_to_string(parent.path().join("neighbour.txt")).unwrap(),
        "untouched"
    );
}

#[test]
fn the_runner_command_of_a_non_executable_script_is_refused_like_the_real_one() {
    let l = Lab::new("script-not-executable", SPEED);
    let spec = lab::simulator_command(l.root(), SimTarget::Script).unwrap();
    let err = Command::new(&spec.program)
        .args(&spec.args)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    let report = detect(l.agent(), l.root());
    assert_eq!(report["upgrade"]["script_executable"], false);
    assert!(
        !l.made
            .temp_dir
            .as_ref()
            .unwrap()
            .join("upgrade-wrapper/logs/glide-dist-upgrade.log")
            .exists(),
        "the upgrade never ran"
    );
}

#[test]
fn a_running_upgrade_is_seen_through_a_symlink_and_ends_with_lab_stop() {
    let l = Lab::new("antivirus-access-denied", 1.0);
    let link_dir = tempfile::tempdir().unwrap();
    let link = link_dir.path().join("via-link");
    #[cfg(unix)]
    std::os::unix::fs::symlink(l.root(), &link).unwrap();
    #[cfg(windows)]
    std::os::windows::fs::symlink_dir(l.root(), &link).unwrap();
    let spec = lab::simulator_command(&link, SimTarget::Script).unwrap();
    let mut child = Command::new(&spec.program)
        .args(&spec.args)
        .current_dir(link_dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let svc = lab::service_control(l.root()).unwrap();
    assert!(wait_for(Duration::from_secs(5), || svc.upgrade_process_running()));
    assert!(
        lab::service_control(&link)
            .unwrap()
            .upgrade_process_running()
    );
    assert_eq!(ecc_status(&l).0, "Upgrading");
    let report = lab::stop(l.root()).unwrap();
    assert!(
        report.ended.iter().any(|(role, _)| role == "simulate"),
        "{report:?}"
    );
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "an interrupted upgrade is no success"
    );
    assert!(!svc.upgrade_process_running());
    assert_eq!(svc.query().state, ServiceState::Stopped);
}

#[test]
fn the_upgrade_survives_its_reader_going_away() {
    let l = Lab::new("service-not-installed", SPEED);
    let spec = lab::simulator_command(l.root(), SimTarget::WrapperExe).unwrap();
    let mut child = Command::new(&spec.program)
        .args(&spec.args)
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The UI quits: both pipes close before the console lines are written.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_upgraded(&l);
}
