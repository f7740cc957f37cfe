//! The attacks of the security review, replayed with real file trees, real processes and the
//! real binary: a planted lab file, an edited `mid.sh`, plain-HTTP credentials, the password
//! in children's environments, and outputs in folders that belong to someone else.
//!
//! Every child runs with its own `XDG_STATE_HOME`, so each test has its own lab registry and
//! log folder.

#![cfg(unix)]

mod common_mid;
mod lab_common;

use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common_mid::MidFixture;
use lab_common::bin;
use midrescue::lab::{self, CreateOptions, LabCreated};
use midrescue::platform::Platform;

const SECRET: &str = "Sup3r-Secret-Pw-4711";
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().mode() & 0o7777
}

fn write_script(p: &Path, body: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The binary with a private state folder, no inherited password, and `extra` variables.
fn midrescue(state: &Path, args: &[&str], env: &[(&str, OsString)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("MIDRESCUE_INSTANCE_PASSWORD")
        .env_remove("SUDO_USER")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A lab built by the library, recorded in the registry of `registry_state` (if any), stopped
/// when dropped.
struct TestLab {
    made: LabCreated,
    _dir: tempfile::TempDir,
}

impl TestLab {
    fn new(scenario: &str, registry_state: &Path) -> TestLab {
        let dir = tempfile::tempdir().unwrap();
        let made = lab::create(
            scenario,
            &dir.path().join("lab"),
            &CreateOptions {
                speed: 25.0,
                exe: Some(bin()),
                registry_dir: Some(registry_state.join("midrescue")),
                ..CreateOptions::default()
            },
        )
        .unwrap();
        TestLab { made, _dir: dir }
    }

    fn agent(&self) -> String {
        self.made.agent_dir.display().to_string()
    }
}

impl Drop for TestLab {
    fn drop(&mut self) {
        let _ = lab::stop(&self.made.root);
    }
}

fn detect_json(state: &Path, agent: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let mut args = vec!["detect", "--json", "--agent-dir", agent];
    args.extend_from_slice(extra);
    let o = midrescue(state, &args, &[]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (v, String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn a_planted_lab_file_is_ignored_and_its_exe_never_runs() {
    // A Windows-layout lab read on Linux: in lab mode its simulated service answers; as a real
    // install its service lives on another machine ("unknown").
    let maker = tempfile::tempdir().unwrap();
    let l = TestLab::new("antivirus-access-denied", maker.path());
    let marker = maker.path().join("exe-ran.env");
    let evil = maker.path().join("evil.sh");
    write_script(&evil, &format!("env > '{}'", marker.display()));
    lab::state::update_info(&l.made.root, |i| i.exe = Some(evil.clone())).unwrap();

    // Another user's registry (empty): the lab file is only planted as far as it knows.
    let state = tempfile::tempdir().unwrap();
    let (report, stderr) = detect_json(state.path(), &l.agent(), &[]);
    assert!(stderr.contains("ignoring the lab file"), "{stderr}");
    assert_eq!(report["service"]["state"], "unknown", "{report}");

    let out = tempfile::tempdir().unwrap();
    let pw = [("MIDRESCUE_INSTANCE_PASSWORD", OsString::from(SECRET))];
    let args = [
        "resume",
        "--yes",
        "--timeout",
        "3s",
        "--agent-dir",
        &l.agent(),
        "--out",
        &out.path().display().to_string(),
    ];
    let o = midrescue(state.path(), &args, &pw);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!marker.exists(), "the planted exe ran: {}", text(&o));

    // Control: named with --lab, the same lab is trusted and its exe runs (without the
    // password in its environment).
    let root = l.made.root.display().to_string();
    let mut with_lab = args.to_vec();
    with_lab.extend(["--lab", &root]);
    let o = midrescue(state.path(), &with_lab, &pw);
    assert!(
        lab_common::wait_for(Duration::from_secs(10), || marker.exists()),
        "the lab exe did not run with --lab: {}",
        text(&o)
    );
    std::thread::sleep(Duration::from_millis(200));
    let env = std::fs::read_to_string(&marker).unwrap();
    assert!(!env.contains(SECRET) && !env.contains("MIDRESCUE_INSTANCE_PASSWORD"));
}

#[test]
fn a_registered_lab_is_trusted_only_while_it_stays_private() {
    let state = tempfile::tempdir().unwrap();
    let l = TestLab::new("antivirus-access-denied", state.path());
    let (report, stderr) = detect_json(state.path(), &l.agent(), &[]);
    assert_ne!(report["service"]["state"], "unknown", "{report}\n{stderr}");
    assert!(!stderr.contains("ignoring"), "{stderr}");

    // Another account could rewrite a lab file that others may write: no longer a lab.
    let lab_file = l.made.root.join(lab::LAB_FILE);
    std::fs::set_permissions(&lab_file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let (report, stderr) = detect_json(state.path(), &l.agent(), &[]);
    assert!(stderr.contains("others may write"), "{stderr}");
    assert_eq!(report["service"]["state"], "unknown");
    std::fs::set_permissions(&lab_file, std::fs::Permissions::from_mode(0o644)).unwrap();

    if is_root() {
        // A lab folder handed to another user is not ours any more.
        std::os::unix::fs::lchown(&l.made.root, Some(NOBODY), Some(NOBODY)).unwrap();
        let (report, stderr) = detect_json(state.path(), &l.agent(), &[]);
        assert!(stderr.contains("belongs to uid 65534"), "{stderr}");
        assert_eq!(report["service"]["state"], "unknown");
        std::os::unix::fs::lchown(&l.made.root, Some(0), Some(0)).unwrap();
    }
}

#[test]
fn lab_create_records_the_lab_in_a_private_registry() {
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lab");
    let root_s = root.display().to_string();
    let o = midrescue(
        state.path(),
        &["lab", "create", "script-not-executable", &root_s],
        &[],
    );
    let _stop = scopeguard(&root);
    assert!(o.status.success(), "{}", text(&o));
    let reg = state.path().join("midrescue/labs.json");
    assert_eq!(mode(&reg), 0o600);
    assert_eq!(mode(&state.path().join("midrescue")), 0o700);
    let entries = lab::registry::Registry::in_dir(&state.path().join("midrescue"))
        .entries()
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].root, std::fs::canonicalize(&root).unwrap());
    assert_eq!(entries[0].scenario, "script-not-executable");
}

/// Stops the lab at `root` when dropped.
fn scopeguard(root: &Path) -> impl Drop + '_ {
    struct G<'a>(&'a Path);
    impl Drop for G<'_> {
        fn drop(&mut self) {
            let _ = lab::stop(self.0);
        }
    }
    G(root)
}

/// `systemctl` and `ps` stand-ins first on PATH: they record their environment, and
/// `systemctl` says the unit does not exist (so the mid.sh fallback would have been taken).
fn fake_tools(dir: &Path) -> OsString {
    let real_ps = ["/usr/bin/ps", "/bin/ps"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("ps");
    let bin = dir.join("bin");
    write_script(
        &bin.join("systemctl"),
        &format!(
            "env > '{}/systemctl.$$.env'\nprintf 'LoadState=not-found\\nActiveState=inactive\\nUnitFileState=\\n'",
            dir.display()
        ),
    );
    write_script(
        &bin.join("ps"),
        &format!("env > '{}/ps.$$.env'\nexec {real_ps} \"$@\"", dir.display()),
    );
    let mut path = bin.into_os_string();
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    path
}

fn linux_install_with_booby_trapped_mid_sh(marker: &Path) -> MidFixture {
    let f = MidFixture::new(Platform::Linux);
    let mid_sh = f.path("bin/mid.sh");
    write_script(&mid_sh, &format!("touch '{}'", marker.display()));
    f
}

#[test]
fn detect_and_collect_never_run_the_installs_mid_sh() {
    let tools = tempfile::tempdir().unwrap();
    let marker = tools.path().join("mid-sh-ran");
    let f = linux_install_with_booby_trapped_mid_sh(&marker);
    let path = fake_tools(tools.path());
    let state = tempfile::tempdir().unwrap();
    let agent = f.agent.display().to_string();
    let env = [("PATH", path)];
    let o = midrescue(
        state.path(),
        &["detect", "--json", "--agent-dir", &agent],
        &env,
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["service"]["state"], "not_installed", "{}", text(&o));
    let out = tempfile::tempdir().unwrap();
    let o = midrescue(
        state.path(),
        &[
            "collect",
            "--agent-dir",
            &agent,
            "--out",
            &out.path().display().to_string(),
        ],
        &env,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        tools.path().join("bin").exists() && !marker.exists(),
        "mid.sh was run"
    );

    // The state comes from /proc instead: a live wrapper of this install means running.
    let wrapper = f.path("bin/wrapper-linux-x86-64");
    std::fs::copy(
        ["/usr/bin/sleep", "/bin/sleep"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap(),
        &wrapper,
    )
    .unwrap();
    let mut child = Command::new(&wrapper).arg("30").spawn().unwrap();
    let o = midrescue(
        state.path(),
        &["detect", "--json", "--agent-dir", &agent],
        &env,
    );
    let _ = child.kill();
    let _ = child.wait();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["service"]["state"], "running", "{}", text(&o));
    assert!(!marker.exists(), "mid.sh was run");
}

#[test]
fn the_password_reaches_no_child_log_or_bundle() {
    let tools = tempfile::tempdir().unwrap();
    let f = linux_install_with_booby_trapped_mid_sh(&tools.path().join("unused"));
    let path = fake_tools(tools.path());
    let state = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let log = out.path().join("own.log");
    let o = midrescue(
        state.path(),
        &[
            "--log-file",
            &log.display().to_string(),
            "collect",
            "--agent-dir",
            &f.agent.display().to_string(),
            "--out",
            &out.path().display().to_string(),
        ],
        &[
            ("PATH", path),
            ("MIDRESCUE_INSTANCE_PASSWORD", SECRET.into()),
            ("MIDRESCUE_LOG", "debug".into()),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains(SECRET));
    let dumps: Vec<PathBuf> = std::fs::read_dir(tools.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "env"))
        .collect();
    assert!(dumps.len() >= 2, "systemctl and ps were not run: {dumps:?}");
    for d in &dumps {
        let env = std::fs::read_to_string(d).unwrap();
        assert!(
            env.contains("XDG_STATE_HOME="),
            "{}: not an env dump",
            d.display()
        );
        assert!(
            !env.contains(SECRET) && !env.contains("MIDRESCUE_INSTANCE_PASSWORD"),
            "{} inherited the password",
            d.display()
        );
    }
    assert!(!std::fs::read_to_string(&log).unwrap().contains(SECRET));
    let zip_path = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "zip"))
        .expect("a bundle");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "{:?} holds the password",
            entry.name()
        );
    }
}

#[test]
fn credentials_never_go_over_plain_http() {
    let state = tempfile::tempdir().unwrap();
    let l = TestLab::new("file-lock-timeout", state.path());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    let out = tempfile::tempdir().unwrap();
    let o = midrescue(
        state.path(),
        &[
            "resume",
            "--yes",
            "--agent-dir",
            &l.agent(),
            "--out",
            &out.path().display().to_string(),
            "--instance-user",
            "admin",
            "--instance-url",
            &url,
        ],
        &[("MIDRESCUE_INSTANCE_PASSWORD", SECRET.into())],
    );
    let all = text(&o);
    assert!(!o.status.success(), "{all}");
    assert!(
        all.contains(&url) && all.contains("--instance-url"),
        "{all}"
    );
    assert!(!all.contains(SECRET));
    assert!(listener.accept().is_err(), "something connected");
    // Refused before anything ran: no bundle, no upgrade output.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn outputs_are_private_and_foreign_folders_refused() {
    let f = MidFixture::new(Platform::Linux);
    let agent = f.agent.display().to_string();
    let state = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let collect = |out: &Path| {
        midrescue(
            state.path(),
            &[
                "collect",
                "--agent-dir",
                &agent,
                "--out",
                &out.display().to_string(),
            ],
            &[("TMPDIR", tmp.path().into())],
        )
    };

    // A new folder: 0700; the zip and its checksum: 0600.
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("new/out");
    let o = collect(&out);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(mode(&out), 0o700);
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for p in &files {
        assert_eq!(mode(p), 0o600, "{}", p.display());
    }

    // midrescue's own log: under the state folder, private; nothing in the shared temp folder.
    let logs = state.path().join("midrescue/logs");
    assert_eq!(mode(&logs), 0o700);
    let log_files: Vec<PathBuf> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!log_files.is_empty());
    assert!(log_files.iter().all(|p| mode(p) == 0o600));
    assert!(!tmp.path().join("midrescue").exists());

    // A folder others may write to is refused, and nothing lands in it.
    let open = base.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let o = collect(&open);
    assert!(!o.status.success());
    assert!(text(&o).contains("other users may write"), "{}", text(&o));
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);

    // A symlink to a folder (say, planted in a shared place) is refused.
    let link = base.path().join("link");
    std::os::unix::fs::symlink(&out, &link).unwrap();
    let o = collect(&link);
    assert!(text(&o).contains("symbolic link"), "{}", text(&o));

    if is_root() {
        // Another user's folder is refused even for root.
        let theirs = base.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::lchown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
        let o = collect(&theirs);
        assert!(text(&o).contains("belongs to uid 65534"), "{}", text(&o));
        assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 0);
    }
}

#[test]
fn a_planted_symlink_at_the_log_path_is_not_followed() {
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let log = dir.path().join("midrescue.log");
    std::os::unix::fs::symlink(&victim, &log).unwrap();
    let o = midrescue(
        state.path(),
        &["--log-file", &log.display().to_string(), "lab", "list"],
        &[],
    );
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn resume_help_names_the_variable_that_is_read() {
    let state = tempfile::tempdir().unwrap();
    let o = midrescue(state.path(), &["resume", "--help"], &[]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("MIDRESCUE_INSTANCE_PASSWORD=... midrescue resume"),
        "{help}"
    );
    assert!(!help.contains("SN_PASSWORD"), "{help}");
}
