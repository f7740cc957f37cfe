//! detect against installs built from the real lines of mid-server.md: both agent log formats,
//! rotated logs, several markers, CRLF, invalid UTF-8, a 50 MB line, a symlink loop, an empty
//! lib, a missing temp folder, a non-install, and every finding code.

mod common_mid;

use common_mid::*;
use midrescue::mid::detect::detect_with;
use midrescue::mid::report::{DetectReport, FindingCode, LibState, TempDirSource, Verdict};
use midrescue::platform::Platform;
use midrescue::platform::service::{ServiceState, StartType};

fn run(f: &MidFixture) -> DetectReport {
    detect_with(&f.agent, &unknown_host(f.platform), &f.options()).expect("detect")
}

fn codes(r: &DetectReport) -> Vec<FindingCode> {
    r.findings.iter().map(|f| f.code).collect()
}

#[test]
fn legacy_windows_crash_found_from_marker() {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    let log = f.agent_log(0, &legacy_upgrade_lines(&f.marker_text(&temp)));
    let r = run(&f);
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    assert_eq!(r.platform, Platform::Windows);
    assert_eq!(r.mid_name.as_deref(), Some("mid-prod-1"));
    assert_eq!(
        r.instance_url.as_deref(),
        Some("https://acme.service-now.com/")
    );
    assert_eq!(r.installed_version.as_deref(), Some(OLD));
    assert_eq!(r.target_version.as_deref(), Some(NEW));
    assert_eq!(r.service.name.as_deref(), Some("snc_mid_prod1"));
    assert_eq!(r.lib, LibState::Intact);
    let u = r.upgrade.expect("upgrade");
    assert_eq!(u.temp_dir.as_deref(), Some(temp.as_path()));
    assert_eq!(u.temp_dir_source, Some(TempDirSource::Marker));
    assert!(u.script_exists);
    assert_eq!(u.script_executable, None, "no exec bit on Windows");
    assert!(
        u.script
            .unwrap()
            .ends_with("upgrade-wrapper/bin/glide-dist-upgrade.bat")
    );
    assert!(
        u.wrapper_exe
            .unwrap()
            .ends_with("wrapper-windows-x86-64.exe")
    );
    let m = u.marker_line.expect("marker");
    assert_eq!((m.file, m.line), (log, 10));
    assert!(u.started_at.unwrap().starts_with("2019-09-21T16:22:12.551"));
    assert!(r.agent_dir.is_absolute());
}

#[test]
fn iso_linux_crash_and_parent_folder_accepted() {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1666596575000-0", &[]);
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    let r = detect_with(
        f.agent.parent().unwrap(),
        &unknown_host(Platform::Linux),
        &f.options(),
    )
    .unwrap();
    assert_eq!(r.agent_dir, f.agent);
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    let u = r.upgrade.unwrap();
    assert_eq!(u.script_executable, Some(true));
    assert_eq!(
        u.started_at.as_deref(),
        Some("2022-10-24T09:22:35.193+02:00")
    );
    assert_eq!(r.target_version.as_deref(), Some(NEW));
}

#[test]
fn marker_in_rotated_log() {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1528126003155-0", &[]);
    let older = f.agent_log(1, &iso_upgrade_lines(&f.marker_text(&temp)));
    f.agent_log(
        0,
        &[
            iso(30, "MIDServer", "MID Server stopped"),
            iso(31, "Wrapper", "still down"),
        ],
    );
    let r = run(&f);
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    assert_eq!(r.upgrade.unwrap().marker_line.unwrap().file, older);
}

#[test]
fn several_markers_newest_wins() {
    let f = MidFixture::new(Platform::Linux);
    let first = f.temp_folder("1000-0", &[]);
    let second = f.temp_folder("2000-0", &[]);
    let mut lines = iso_upgrade_lines(&f.marker_text(&first));
    lines.push(iso(
        40,
        "AutoUpgrade.3600",
        "Stopping MID server. Bootstrapping upgrade.",
    ));
    lines.push(iso(
        41,
        "AutoUpgrade.3600",
        &format!(
            "Added marker `{}` to upgrade marker file.",
            f.marker_text(&second)
        ),
    ));
    f.agent_log(0, &lines);
    let r = run(&f);
    let u = r.upgrade.unwrap();
    assert_eq!(u.temp_dir.as_deref(), Some(second.as_path()));
    assert_eq!(u.marker_line.unwrap().line, 8);
}

#[test]
fn crlf_logs() {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &["INFO   | jvm 1    | 2019/09/21 16:30:47.817 | WARNING: java.io.IOException: Unable to delete directory C:\\ServiceNow\\agent\\jre\\bin."]);
    let text = legacy_upgrade_lines(&f.marker_text(&temp)).join("\r\n") + "\r\n";
    f.write("logs/agent0.log.0", &text);
    // The upgrade log with CRLF too.
    let ul = temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log");
    let body = std::fs::read_to_string(&ul).unwrap().replace('\n', "\r\n");
    std::fs::write(&ul, body).unwrap();
    let r = run(&f);
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    let u = r.upgrade.as_ref().unwrap();
    assert_eq!(u.temp_dir.as_deref(), Some(temp.as_path()));
    assert!(!u.marker_line.as_ref().unwrap().text.ends_with('\r'));
    let jre = r
        .findings
        .iter()
        .find(|x| x.code == FindingCode::JreDeleteFailed)
        .expect("jre finding");
    assert!(jre.evidence[0].text.ends_with("jre\\bin."));
}

#[test]
fn invalid_utf8_and_a_50_mb_line() {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("3000-0", &[]);
    let mut bytes = Vec::new();
    for l in iso_upgrade_lines(&f.marker_text(&temp)) {
        bytes.extend_from_slice(l.as_bytes());
        bytes.extend_from_slice(b"\n\xff\xfe\xc3(garbage\n");
    }
    // A 50 MB single line after the marker, as the newest line.
    bytes.extend_from_slice(b"2022-10-24T09:50:00.000+0200 SEVERE (X) [Y:1] ");
    bytes.resize(bytes.len() + 50 * 1024 * 1024, b'A');
    bytes.push(b'\n');
    f.write_bytes("logs/agent0.log.0", &bytes);
    let r = run(&f);
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    assert_eq!(r.upgrade.unwrap().temp_dir.as_deref(), Some(temp.as_path()));
}

#[test]
fn huge_line_evidence_is_capped() {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("3000-0", &[]);
    let mut lines = iso_upgrade_lines(&f.marker_text(&temp));
    let long = format!(
        "{} {}",
        "x cannot be deleted: (being used by another process)",
        "B".repeat(2 * 1024 * 1024)
    );
    lines.push(iso(45, "AutoUpgrade.3600", &long));
    f.agent_log(0, &lines);
    let r = run(&f);
    let ev = &r
        .findings
        .iter()
        .find(|x| x.code == FindingCode::FileLocked)
        .unwrap()
        .evidence[0];
    assert!(ev.text.len() <= 4096, "{}", ev.text.len());
    assert_eq!(ev.line, 7);
}

#[test]
fn symlink_loops_do_not_hang() {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("4000-0", &[]);
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    symlink(&f.agent, &f.path("work/upgrade_temp/loop")).unwrap();
    symlink(&temp, &temp.join("agent/self")).unwrap();
    symlink(&f.path("lib"), &f.path("lib/lib-loop")).unwrap();
    std::fs::create_dir_all(f.root.path().join("ostmp")).unwrap();
    symlink(
        &f.root.path().join("ostmp"),
        &f.root.path().join("ostmp/again"),
    )
    .unwrap();
    let r = run(&f);
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    // Without the marker, the scan must not pick the symlinked loop either.
    f.agent_log(
        0,
        &[iso(
            0,
            "AutoUpgrade.3600",
            "Stopping MID server. Bootstrapping upgrade.",
        )],
    );
    let r = run(&f);
    assert_eq!(r.upgrade.unwrap().temp_dir.as_deref(), Some(temp.as_path()));
}

#[test]
fn empty_lib_is_missing() {
    let f = MidFixture::new(Platform::Linux);
    for e in std::fs::read_dir(f.path("lib")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let temp = f.temp_folder("5000-0", &[]);
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    let r = run(&f);
    assert_eq!(r.lib, LibState::Missing);
    assert!(codes(&r).contains(&FindingCode::LibIncomplete));
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
}

#[test]
fn partial_lib_compared_with_package() {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("5000-0", &[]);
    for j in ["mid.jar", "new-only.jar"] {
        write_file(&temp.join("agent/lib").join(j), b"PK");
    }
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    let r = run(&f);
    assert_eq!(r.lib, LibState::Partial);
    let ev = &r
        .findings
        .iter()
        .find(|x| x.code == FindingCode::LibIncomplete)
        .unwrap()
        .evidence[0];
    assert!(ev.text.contains("new-only.jar"), "{}", ev.text);
}

#[test]
fn missing_temp_folder_is_lost() {
    let f = MidFixture::new(Platform::Windows);
    f.agent_log(
        0,
        &legacy_upgrade_lines("C:\\WINDOWS\\TEMP\\1569035472492-0"),
    );
    let r = run(&f);
    assert_eq!(r.verdict, Verdict::TempFolderLost);
    let u = r.upgrade.as_ref().unwrap();
    assert_eq!(
        u.temp_dir
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned())
            .as_deref(),
        Some("C:\\WINDOWS\\TEMP\\1569035472492-0")
    );
    assert!(!u.script_exists);
    assert!(codes(&r).contains(&FindingCode::TempFolderMissing));
}

#[test]
fn scan_finds_temp_folder_without_marker() {
    let f = MidFixture::new(Platform::Linux);
    let os = f.root.path().join("ostmp/1528126003155-0");
    f.temp_folder_at(&os, &[]);
    f.agent_log(
        0,
        &[
            iso(0, "MIDServer", "Initializing MID Server"),
            iso(
                22,
                "AutoUpgrade.3600",
                "Stopping MID server. Bootstrapping upgrade.",
            ),
        ],
    );
    let r = run(&f);
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    let u = r.upgrade.unwrap();
    assert_eq!(u.temp_dir_source, Some(TempDirSource::Scan));
    assert_eq!(u.temp_dir.as_deref(), Some(os.as_path()));
}

#[test]
fn not_an_install() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("readme.txt"), "hello").unwrap();
    let r = detect_with(
        d.path(),
        &unknown_host(Platform::Linux),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::NotAMidServer);
    assert!(r.findings.is_empty());
    assert!(
        detect_with(
            &d.path().join("nope"),
            &unknown_host(Platform::Linux),
            &Default::default()
        )
        .is_err()
    );
}

#[test]
fn healthy_and_stopped_from_files_alone() {
    let f = MidFixture::new(Platform::Linux);
    f.agent_log(
        0,
        &[
            iso(0, "MIDServer", "Initializing MID Server"),
            iso(
                1,
                "StartupSequencer",
                "Enabling monitor: FileCleanerMonitor",
            ),
        ],
    );
    assert_eq!(run(&f).verdict, Verdict::Healthy);
    assert!(run(&f).upgrade.is_none());
    f.agent_log(
        0,
        &[
            iso(0, "MIDServer", "Initializing MID Server"),
            iso(5, "MIDServer", "MID Server stopping"),
        ],
    );
    assert_eq!(run(&f).verdict, Verdict::Stopped);
    // A finished upgrade: the MID started after the marker, on the new version.
    f.write(
        "package/meta/mid-core.meta.properties",
        &format!("package.filename=mid-core.{NEW}.universal.universal.zip\n"),
    );
    let temp = f.temp_folder("6000-0", &[]);
    let mut lines = iso_upgrade_lines(&f.marker_text(&temp));
    lines.push(iso(50, "MIDServer", "Initializing MID Server"));
    f.agent_log(0, &lines);
    let r = detect_with(
        &f.agent,
        &host(
            Platform::Linux,
            ServiceState::Running,
            Some(StartType::Auto),
        ),
        &f.options(),
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::Healthy);
}

/// Each finding code, from the line or fact that proves it.
#[test]
fn every_finding_code() {
    let log_cases: &[(&str, FindingCode)] = &[
        (
            "INFO   | jvm 1    | 2019/09/21 16:30:47.500 | C:\\ServiceNow\\agent\\lib\\mid.jar cannot be deleted: C:\\ServiceNow\\agent\\lib\\mid.jar (The process cannot access the file because it is being used by another process)",
            FileLocked,
        ),
        (
            "INFO   | jvm 1    | 2019/09/21 16:30:48.000 | SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: E:\\ServiceNow\\agent\\bin\\wrapper-windows-x86-64.exe (Access is denied)",
            AccessDenied,
        ),
        (
            "INFO | jvm 1 | 2019/09/21 16:30:49.000 | com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: D:\\ServiceNow\\agent\\bin\\mid.bat (Access is Denied)",
            ApplicationExperience,
        ),
        (
            "INFO   | jvm 1    | 2019/09/21 16:30:47.817 | WARNING: java.io.IOException: Unable to delete directory C:\\ServiceNow\\agent\\jre\\bin.",
            JreDeleteFailed,
        ),
    ];
    use FindingCode::*;
    for (line, code) in log_cases {
        let f = MidFixture::new(Platform::Windows);
        let temp = f.temp_folder("1569035472492-0", &[line]);
        f.agent_log(0, &legacy_upgrade_lines(&f.marker_text(&temp)));
        let r = run(&f);
        let found = r
            .findings
            .iter()
            .find(|x| x.code == *code)
            .unwrap_or_else(|| panic!("{code:?} in {:?}", codes(&r)));
        assert_eq!(found.evidence[0].line, 1);
        assert!(found.evidence[0].file.ends_with("glide-dist-upgrade.log"));
        assert!(!found.message.is_empty());
    }
    let agent_cases: &[(&str, FindingCode)] = &[
        (
            "Gobbling stderr: /bin/sh -c bin/glide-dist-upgrade.sh start Gobbled: /bin/sh: bin/glide-dist-upgrade.sh: Permission denied",
            ScriptNotExecutable,
        ),
        ("SEVERE *** ERROR *** Upgrade failed.", UpgradeFailed),
        (
            "SEVERE *** ERROR *** Aborting MID Server upgrade due to pre-upgrade check failure: Unable to download updates from install server",
            PrecheckFailed,
        ),
        (
            "SEVERE *** ERROR *** Aborting MID Server upgrade due to pre-upgrade check failure: Service snc_mid_kingston1 does not exist",
            WrapperNameMismatch,
        ),
        (
            "SEVERE Not enough free disk space. The system reports 1048576 bytes free",
            DiskSpace,
        ),
    ];
    for (msg, code) in agent_cases {
        let f = MidFixture::new(Platform::Linux);
        let temp = f.temp_folder("1528126003155-0", &[]);
        let mut lines = legacy_upgrade_lines(&f.marker_text(&temp));
        lines.push(legacy(30, "AutoUpgrade.3600", msg));
        let log = f.agent_log(0, &lines);
        let r = run(&f);
        let found = r
            .findings
            .iter()
            .find(|x| x.code == *code)
            .unwrap_or_else(|| panic!("{code:?} in {:?}", codes(&r)));
        assert_eq!(
            (&found.evidence[0].file, found.evidence[0].line),
            (&log, 14)
        );
    }
    let wrapper_cases: &[(&str, FindingCode)] = &[
        (
            "2019/09/21 16:35:17 | Machine is shutting down.",
            MachineShutdown,
        ),
        (
            "2019/09/21 16:37:34 | Startup failed: Timed out waiting for a signal from the JVM.",
            JvmStartTimeout,
        ),
    ];
    for (line, code) in wrapper_cases {
        let f = MidFixture::new(Platform::Windows);
        let temp = f.temp_folder("1569035472492-0", &[]);
        f.agent_log(0, &legacy_upgrade_lines(&f.marker_text(&temp)));
        // An old occurrence before the upgrade must not count; the new one must.
        f.write("logs/wrapper.log", &format!("2019/09/20 10:00:00 | Machine is shutting down.\n2019/09/20 10:00:01 | Startup failed: Timed out waiting for a signal from the JVM.\n2019/09/21 16:35:00 | Launching a JVM...\n{line}\n"));
        let r = run(&f);
        let found = r
            .findings
            .iter()
            .find(|x| x.code == *code)
            .unwrap_or_else(|| panic!("{code:?} in {:?}", codes(&r)));
        assert_eq!(
            found.evidence.len(),
            1,
            "old lines before the upgrade are ignored"
        );
        assert_eq!(found.evidence[0].line, 4);
    }

    // Facts rather than lines.
    // Exec bits and owner uids: facts of a Unix host only.
    #[cfg(unix)]
    {
        let f = MidFixture::new(Platform::Linux);
        let temp = f.temp_folder("1528126003155-0", &[]);
        f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
        set_executable(
            &temp.join("upgrade-wrapper/bin/glide-dist-upgrade.sh"),
            false,
        );
        write_file(
            &f.root.path().join("sysroot/etc/systemd/system/mid.service"),
            b"[Service]\nExecStart=/x/agent/bin/mid.sh start sysd\nKillMode=control-group\n",
        );
        let h = host(
            Platform::Linux,
            ServiceState::Stopped,
            Some(StartType::Auto),
        );
        let r = detect_with(&f.agent, &h, &f.options()).unwrap();
        let c = codes(&r);
        assert!(c.contains(&ScriptNotExecutable), "{c:?}");
        assert!(c.contains(&ServiceAutoStart), "{c:?}");
        let km = r
            .findings
            .iter()
            .find(|x| x.code == KillmodeControlGroup)
            .expect("killmode");
        assert_eq!(km.evidence[0].line, 3);

        // Root-owned files while the service runs as `midserver`: files made by a root test run
        // are root-owned; made by another user they are not, and must not be reported.
        let me = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&f.agent).unwrap());
        write_file(
            &f.root.path().join("sysroot/etc/passwd"),
            format!(
                "root:x:0:0::/root:/bin/sh\nmidserver:x:{}:1::/home/m:/bin/sh\n",
                me + 1
            )
            .as_bytes(),
        );
        let r = detect_with(&f.agent, &h, &f.options()).unwrap();
        let root = r.findings.iter().find(|x| x.code == RootOwnedFiles);
        if me == 0 {
            let root = root.expect("root_owned_files");
            assert!(root.evidence[0].text.contains("midserver"));
            assert!(root.evidence.len() <= 5);
        } else {
            assert!(root.is_none());
        }
    }

    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    f.agent_log(0, &legacy_upgrade_lines(&f.marker_text(&temp)));
    let r = detect_with(
        &f.agent,
        &host(Platform::Windows, ServiceState::NotInstalled, None),
        &f.options(),
    )
    .unwrap();
    let w = r
        .findings
        .iter()
        .find(|x| x.code == WrapperNameMismatch)
        .expect("mismatch");
    assert_eq!(w.evidence[0].line, 1);
    assert!(w.evidence[0].file.ends_with("conf/wrapper-override.conf"));

    let f = MidFixture::new(Platform::Linux);
    let r = detect_with(
        &f.agent,
        &host(Platform::Linux, ServiceState::NotInstalled, None),
        &f.options(),
    )
    .unwrap();
    assert!(codes(&r).contains(&ServiceNotInstalled));

    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder(
        "1528126003155-0",
        &["The ServiceNow Platform Distribution Upgrade (mid-prod-1) service is not installed."],
    );
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    let h = midrescue::host::Host {
        platform: Platform::Linux,
        service: std::sync::Arc::new(FixedService {
            state: ServiceState::Stopped,
            start_type: None,
            upgrade_running: true,
        }),
        lab_root: None,
    };
    let r = detect_with(&f.agent, &h, &f.options()).unwrap();
    assert_eq!(r.verdict, Verdict::UpgradeInProgress);
    assert!(r.service.upgrade_process_running);
    assert!(codes(&r).contains(&UpgradeProcessRunning));
    assert!(codes(&r).contains(&ServiceNotInstalled));
}

/// KB0792621: the service was started on the half-upgraded install. The start line must not
/// hide the crash: the installed version is still the old one, and the temp folder is gone.
#[test]
fn service_started_mid_upgrade_is_temp_folder_lost_not_stopped() {
    for service in [ServiceState::Running, ServiceState::Stopped] {
        let f = MidFixture::new(Platform::Windows);
        let mut lines = legacy_upgrade_lines("C:\\WINDOWS\\TEMP\\1569035472492-0");
        lines.push(legacy(40, "MIDServer", "MID Server starting"));
        lines.push(legacy(41, "MIDServer", "MID Server started"));
        f.agent_log(0, &lines);
        let host = host(f.platform, service, Some(StartType::Auto));
        let r = detect_with(&f.agent, &host, &f.options()).expect("detect");
        assert_eq!(r.verdict, Verdict::TempFolderLost, "service {service:?}");
        let finding = r
            .findings
            .iter()
            .find(|x| x.code == FindingCode::ServiceStartedMidUpgrade)
            .expect("service_started_mid_upgrade finding");
        assert!(
            finding
                .evidence
                .iter()
                .any(|e| e.text.contains("MID Server started"))
        );
        assert!(r.upgrade.is_some_and(|u| u.marker_line.is_some()));
    }
}

/// The same log after a successful upgrade (installed version = the assigned one) is healthy.
#[test]
fn start_after_a_finished_upgrade_is_not_flagged() {
    let f = MidFixture::new(Platform::Windows);
    f.write(
        "package/meta/mid-core.meta.properties",
        &format!("package.filename=mid-core.{NEW}.universal.universal.zip\n"),
    );
    let mut lines = legacy_upgrade_lines("C:\\WINDOWS\\TEMP\\1569035472492-0");
    lines.push(legacy(41, "MIDServer", "MID Server started"));
    f.agent_log(0, &lines);
    let host = host(f.platform, ServiceState::Running, Some(StartType::Auto));
    let r = detect_with(&f.agent, &host, &f.options()).expect("detect");
    assert_eq!(r.verdict, Verdict::Healthy);
    assert!(!codes(&r).contains(&FindingCode::ServiceStartedMidUpgrade));
}

/// A host control that lists the upgrade processes running on the host (any install's).
struct ListingService(Vec<midrescue::platform::service::processes::ProcessInfo>);

impl midrescue::platform::service::ServiceControl for ListingService {
    fn query(&self) -> midrescue::platform::service::ServiceStatus {
        midrescue::platform::service::ServiceStatus::unknown(Some("mid".into()), "fixture")
    }
    fn set_start_type(&self, _s: StartType) -> anyhow::Result<()> {
        anyhow::bail!("fixture")
    }
    fn upgrade_process_running(&self) -> bool {
        !self.0.is_empty()
    }
    fn upgrade_processes(
        &self,
    ) -> Option<Vec<midrescue::platform::service::processes::ProcessInfo>> {
        Some(self.0.clone())
    }
}

#[test]
fn only_this_installs_upgrade_process_makes_it_in_progress() {
    use midrescue::platform::service::processes::ProcessInfo;
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1528126003155-0", &[]);
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    let other = ProcessInfo {
        pid: 4260,
        command_line: "/tmp/1528126009999-0/upgrade-wrapper/bin/wrapper-linux-x86-64 /tmp/1528126009999-0/upgrade-wrapper/conf/wrapper.conf".into(),
        cwd: Some("/tmp/1528126009999-0/upgrade-wrapper".into()),
    };
    let host = |list: Vec<ProcessInfo>| midrescue::host::Host {
        platform: Platform::Linux,
        service: std::sync::Arc::new(ListingService(list)),
        lab_root: None,
    };
    // Another MID's upgrade: reported, not attributed, and this install stays crashed.
    let r = detect_with(&f.agent, &host(vec![other.clone()]), &f.options()).unwrap();
    assert_eq!(r.verdict, Verdict::CrashedUpgrade);
    assert!(!r.service.upgrade_process_running);
    let note = r
        .findings
        .iter()
        .find(|x| x.code == FindingCode::UpgradeProcessUnattributed)
        .expect("unattributed finding");
    assert!(note.evidence[0].text.contains("(not attributed): pid 4260"));
    // This install's: by its working folder (the MID runs the script relative to it).
    let mine = ProcessInfo {
        pid: 4242,
        command_line: "/bin/sh bin/glide-dist-upgrade.sh start".into(),
        cwd: Some(temp.join("upgrade-wrapper")),
    };
    let r = detect_with(&f.agent, &host(vec![other, mine]), &f.options()).unwrap();
    assert_eq!(r.verdict, Verdict::UpgradeInProgress);
    assert!(r.service.upgrade_process_running);
}
