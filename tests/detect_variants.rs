//! Adversarial variants of the formats in mid-server.md, each built as its own install from the
//! real lines quoted there: collapsed LPTM padding, ISO zones and levels, every marker form
//! (Windows OS temp, /tmp, Rome+ relative forms, paths with spaces), rotated and missing logs,
//! config.xml / wrapper-override.conf / mid.shconf_override / meta.properties variants, and the
//! guarantees that no secret and no control character reaches the output.
//!
//! Table-driven: every case runs, and the failures are listed together at the end.

mod common_mid;

use std::path::{Path, PathBuf};

use common_mid::*;
use midrescue::commands::detect::render_text;
use midrescue::mid::detect::detect_with;
use midrescue::mid::install;
use midrescue::mid::report::{Attribution, DetectReport, FindingCode, TempDirSource, Verdict};
use midrescue::platform::Platform;
use midrescue::platform::service::ServiceState;

type Check = Result<(), String>;
type Case = (&'static str, fn() -> Check);

fn run(f: &MidFixture) -> Result<DetectReport, String> {
    detect_with(&f.agent, &unknown_host(f.platform), &f.options()).map_err(|e| format!("{e:#}"))
}

fn codes(r: &DetectReport) -> Vec<FindingCode> {
    r.findings.iter().map(|f| f.code).collect()
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err(format!($($arg)*));
        }
    };
}

fn has(r: &DetectReport, c: FindingCode) -> Check {
    ensure!(codes(r).contains(&c), "no {c:?} in {:?}", codes(r));
    Ok(())
}

fn verdict(r: &DetectReport, v: Verdict) -> Check {
    ensure!(
        r.verdict == v,
        "verdict {:?}, want {v:?} (findings {:?}, upgrade {:?})",
        r.verdict,
        codes(r),
        r.upgrade
    );
    Ok(())
}

fn temp_is(r: &DetectReport, want: &Path) -> Check {
    let got = r.upgrade.as_ref().and_then(|u| u.temp_dir.clone());
    ensure!(
        got.as_deref() == Some(want),
        "temp_dir {got:?}, want {want:?}"
    );
    Ok(())
}

/// Set a file's mtime `secs` seconds in the past (to order temp folders).
fn age(p: &Path, secs: u64) {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    let f = std::fs::File::options().read(true).open(p).expect("open");
    f.set_modified(t).expect("mtime");
}

/// The crash sequence with a marker line `marker`, legacy format.
fn crash_log(f: &MidFixture, marker: &str) {
    f.agent_log(0, &legacy_upgrade_lines(marker));
}

fn lptm(level: &str, src: &str, padded: bool, ts: &str, msg: &str) -> String {
    if padded {
        format!("{level:<6} | {src:<8} | {ts} | {msg}")
    } else {
        format!("{level} | {src} | {ts} | {msg}")
    }
}

// ---------------------------------------------------------------- upgrade log and wrapper.log

fn lptm_collapsed_padding() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let locked = lptm(
        "INFO",
        "jvm 1",
        false,
        "2019/09/21 16:30:47.500",
        "C:\\ServiceNow\\MID Server1\\agent\\lib\\a.jar cannot be deleted: C:\\ServiceNow\\MID Server1\\agent\\lib\\a.jar (The process cannot access the file because it is being used by another process)",
    );
    let denied = lptm(
        "INFO",
        "jvm 1",
        false,
        "2019/09/21 16:30:48.000",
        "SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: E:\\ServiceNow\\agent\\bin\\wrapper-windows-x86-64.exe (Access is denied)",
    );
    let jre = lptm(
        "INFO",
        "jvm 1",
        true,
        "2019/09/21 16:30:47.817",
        "WARNING: java.io.IOException: Unable to delete directory C:\\ServiceNow\\agent\\jre\\bin.",
    );
    let temp = f.temp_folder(
        "1569035472492-0",
        &[
            "***********UPGRADE MAIN LOGIN START***********",
            &jre,
            &locked,
            &denied,
        ],
    );
    crash_log(&f, &f.marker_text(&temp));
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    has(&r, FindingCode::FileLocked)?;
    has(&r, FindingCode::AccessDenied)?;
    has(&r, FindingCode::JreDeleteFailed)
}

fn application_experience_capital_denied() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder(
        "1569035472492-0",
        &[&lptm(
            "INFO",
            "jvm 1",
            true,
            "2019/09/21 16:30:48.000",
            "com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: D:\\ServiceNow\\agent\\bin\\mid.bat (Access is Denied)",
        )],
    );
    crash_log(&f, &f.marker_text(&temp));
    let r = run(&f)?;
    has(&r, FindingCode::ApplicationExperience)
}

fn wrapper_log_only_rotated() -> Check {
    // wrapper.log missing, the reboot line in wrapper.log.1.
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    crash_log(&f, &f.marker_text(&temp));
    f.write(
        "logs/wrapper.log.1",
        "2019/09/21 16:22:30 | Launching a JVM...\n2019/09/21 16:25:17 | Machine is shutting down.\n",
    );
    let r = run(&f)?;
    has(&r, FindingCode::MachineShutdown)
}

fn wrapper_log_rollnum_in_name() -> Check {
    // Tanuki puts the roll number where ROLLNUM stands: wrapper.1.log when configured so.
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    crash_log(&f, &f.marker_text(&temp));
    f.write(
        "logs/wrapper.1.log",
        "2019/09/21 16:25:34 | Startup failed: Timed out waiting for a signal from the JVM.\n",
    );
    let r = run(&f)?;
    has(&r, FindingCode::JvmStartTimeout)
}

fn wrapper_log_is_a_directory() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    crash_log(&f, &f.marker_text(&temp));
    std::fs::create_dir_all(f.path("logs/wrapper.log")).map_err(|e| e.to_string())?;
    f.write(
        "logs/wrapper.log.1",
        "2019/09/21 16:25:17 | Machine is shutting down.\n",
    );
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    has(&r, FindingCode::MachineShutdown)
}

fn wrapper_log_lptm_format() -> Check {
    // The main wrapper.log in the wrapper's default LPTM format (STATUS | wrapper | ...).
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    crash_log(&f, &f.marker_text(&temp));
    f.write(
        "logs/wrapper.log",
        &[
            lptm(
                "STATUS",
                "wrapper",
                true,
                "2019/09/21 16:10:00",
                "--> Wrapper Started as Service",
            ),
            lptm(
                "STATUS",
                "wrapper",
                true,
                "2019/09/21 16:25:17",
                "Machine is shutting down.",
            ),
            String::new(),
        ]
        .join("\n"),
    );
    let r = run(&f)?;
    has(&r, FindingCode::MachineShutdown)
}

fn old_wrapper_failures_before_the_upgrade_are_ignored() -> Check {
    // A reboot a month before the upgrade is not evidence for this crash.
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    crash_log(&f, &f.marker_text(&temp));
    f.write(
        "logs/wrapper.log",
        &[
            lptm(
                "STATUS",
                "wrapper",
                false,
                "2019/08/21 16:25:17",
                "Machine is shutting down.",
            ),
            lptm(
                "STATUS",
                "wrapper",
                false,
                "2019/09/21 16:00:00",
                "Launching a JVM...",
            ),
            String::new(),
        ]
        .join("\n"),
    );
    let r = run(&f)?;
    ensure!(
        !codes(&r).contains(&FindingCode::MachineShutdown),
        "old reboot reported: {:?}",
        codes(&r)
    );
    // The same in Tanuki's PTM column set (no level column).
    f.write(
        "logs/wrapper.log",
        "wrapper  | 2019/08/21 16:25:17 | Machine is shutting down.\nwrapper  | 2019/09/21 16:00:00 | Launching a JVM...\n",
    );
    let r = run(&f)?;
    ensure!(
        !codes(&r).contains(&FindingCode::MachineShutdown),
        "PTM: old reboot reported: {:?}",
        codes(&r)
    );
    Ok(())
}

fn temp_folder_lost_evidence_in_dist_upgrade_log() -> Check {
    // The temp folder is gone; agent/logs/dist-upgrade.log still holds the upgrade's lines.
    let f = MidFixture::new(Platform::Windows);
    crash_log(&f, "C:\\WINDOWS\\TEMP\\1569035472492-0");
    f.write(
        "logs/dist-upgrade.log",
        &[
            lptm("INFO", "jvm 1", true, "2019/09/21 16:24:47.114", "Sep 21, 2019 4:24:47 PM com.snc.dist.mid_upgrade.UpgradeMain deleteJreDirIfSourced"),
            lptm("INFO", "jvm 1", true, "2019/09/21 16:24:48.000", "SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: E:\\ServiceNow\\agent\\bin\\wrapper-windows-x86-64.exe (Access is denied)"),
            String::new(),
        ]
        .join("\r\n"),
    );
    let r = run(&f)?;
    verdict(&r, Verdict::TempFolderLost)?;
    has(&r, FindingCode::AccessDenied)
}

fn upgrade_log_rolled() -> Check {
    // glide-dist-upgrade.log rolled by its wrapper: the crash is in the current file and the
    // lock retries in `.1`; both count.
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder(
        "1569035472492-0",
        &[&lptm("INFO", "jvm 1", true, "2019/09/21 16:31:00.000", "SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: E:\\x\\agent\\bin\\wrapper-windows-x86-64.exe (Access is denied)")],
    );
    write_file(
        &temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log.1"),
        lptm("INFO", "jvm 1", true, "2019/09/21 16:30:47.500", "C:\\ServiceNow\\agent\\lib\\a.jar cannot be deleted: C:\\ServiceNow\\agent\\lib\\a.jar (The process cannot access the file because it is being used by another process)").as_bytes(),
    );
    crash_log(&f, &f.marker_text(&temp));
    let r = run(&f)?;
    has(&r, FindingCode::AccessDenied)?;
    has(&r, FindingCode::FileLocked)
}

fn finished_upgrade_log_appended_to_wrapper_log() -> Check {
    // The upgrade appended glide-dist-upgrade.log (with its retried locks) to wrapper.log, then
    // started the MID on the new version: healthy, and the old retries are not findings.
    let f = MidFixture::new(Platform::Windows);
    f.write(
        "package/meta/mid-core.meta.properties",
        &format!("package.filename=mid-core.{NEW}.universal.universal.zip\n"),
    );
    let mut lines = legacy_upgrade_lines("C:\\WINDOWS\\TEMP\\1569035472492-0");
    lines.push(legacy(40, "MIDServer", "MID Server started"));
    lines.push(legacy(
        41,
        "StartupSequencer",
        "Successfully connected to instance: https://acme.service-now.com/",
    ));
    f.agent_log(0, &lines);
    f.write(
        "logs/wrapper.log",
        &[
            "***********UPGRADE MAIN LOGIN START***********".to_string(),
            lptm("INFO", "jvm 1", true, "2019/09/21 16:39:30.500", "C:\\ServiceNow\\agent\\lib\\a.jar cannot be deleted: C:\\ServiceNow\\agent\\lib\\a.jar (The process cannot access the file because it is being used by another process)"),
            "***********UPGRADE MAIN LOGIN END***********".to_string(),
            "2019/09/21 16:39:50 | Launching a JVM...".to_string(),
            String::new(),
        ]
        .join("\n"),
    );
    let r = run(&f)?;
    verdict(&r, Verdict::Healthy)?;
    ensure!(
        !codes(&r).contains(&FindingCode::FileLocked),
        "old retries reported: {:?}",
        codes(&r)
    );
    Ok(())
}

// ---------------------------------------------------------------- agent log formats

fn iso_zone_variants() -> Check {
    for (zone, want) in [
        ("+0200", "+02:00"),
        ("-0400", "-04:00"),
        ("Z", "+00:00"),
        ("+05:30", "+05:30"),
        ("+0000", "+00:00"),
    ] {
        let f = MidFixture::new(Platform::Linux);
        let temp = f.temp_folder("1666596575000-0", &[]);
        let m = f.marker_text(&temp);
        let line = |min: u32, level: &str, thread: &str, msg: &str| {
            format!("2022-10-24T09:{min:02}:35.193{zone} {level} ({thread}) [AutoUpgrade:88] {msg}")
        };
        f.agent_log(
            0,
            &[
                line(0, "INFO", "MIDServer", "Initializing MID Server"),
                line(
                    22,
                    "INFO",
                    "AutoUpgrade.3600",
                    "Stopping MID server. Bootstrapping upgrade.",
                ),
                line(
                    22,
                    "WARN",
                    "AutoUpgrade.3600",
                    &format!("Added marker `{m}` to upgrade marker file."),
                ),
                line(
                    23,
                    "SEVERE",
                    "AutoUpgrade.3600",
                    "Not enough free disk space. The system reports 1048576 bytes free",
                ),
            ],
        );
        let r = run(&f)?;
        verdict(&r, Verdict::CrashedUpgrade).map_err(|e| format!("{zone}: {e}"))?;
        has(&r, FindingCode::DiskSpace).map_err(|e| format!("{zone}: {e}"))?;
        let started = r.upgrade.as_ref().and_then(|u| u.started_at.clone());
        ensure!(
            started.as_deref().is_some_and(|s| s.ends_with(want)),
            "{zone}: started_at {started:?}"
        );
    }
    Ok(())
}

fn marker_only_in_rotated_log_with_empty_current() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    f.agent_log(1, &legacy_upgrade_lines(&f.marker_text(&temp)));
    f.write("logs/agent0.log.0", "");
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)
}

fn only_agent_log_1_present() -> Check {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1666596575000-0", &[]);
    f.agent_log(1, &iso_upgrade_lines(&f.marker_text(&temp)));
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)
}

fn agent_log_0_is_a_directory() -> Check {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1666596575000-0", &[]);
    std::fs::create_dir_all(f.path("logs/agent0.log.0")).map_err(|e| e.to_string())?;
    f.agent_log(1, &iso_upgrade_lines(&f.marker_text(&temp)));
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)
}

fn agent_log_symlinked_file() -> Check {
    // Container setups link the logs elsewhere.
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1666596575000-0", &[]);
    let real = f.root.path().join("varlog/agent0.log.0");
    let mut text = iso_upgrade_lines(&f.marker_text(&temp)).join("\n");
    text.push('\n');
    write_file(&real, text.as_bytes());
    std::fs::create_dir_all(f.path("logs")).map_err(|e| e.to_string())?;
    symlink(&real, &f.path("logs/agent0.log.0")).map_err(|e| e.to_string())?;
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)
}

fn jul_unique_number_family() -> Check {
    // The old MID never stopped and kept agent0.log.0.lck: the newest lines went to
    // agent1.log.0 (JUL pattern logs/agent%u.log).
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    let old = f.agent_log(0, &[legacy(0, "MIDServer", "MID Server started")]);
    f.write("logs/agent0.log.0.lck", "");
    age(&old, 7200);
    let mut text = legacy_upgrade_lines(&f.marker_text(&temp)).join("\n");
    text.push('\n');
    f.write("logs/agent1.log.0", &text);
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)?;
    // Only agent1 logs: still an install.
    let g = MidFixture::new(Platform::Windows);
    std::fs::remove_file(g.path("config.xml")).map_err(|e| e.to_string())?;
    std::fs::remove_dir_all(g.path("conf")).map_err(|e| e.to_string())?;
    std::fs::remove_dir_all(g.path("bin")).map_err(|e| e.to_string())?;
    g.write("logs/agent1.log.0", "");
    ensure!(
        install::install_marks(&g.agent).any(),
        "agent1 logs not a mark"
    );
    Ok(())
}

fn gobbled_permission_denied() -> Check {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder_at(&f.root.path().join("ostmp/1528126003155-0"), &[]);
    f.agent_log(
        0,
        &[
            legacy(0, "MIDServer", "MID Server started"),
            legacy(22, "AutoUpgrade.3600", "Stopping MID server. Bootstrapping upgrade."),
            legacy(
                22,
                "AutoUpgrade.3600",
                "Gobbling stderr: /bin/sh -c bin/glide-dist-upgrade.sh start Gobbled: /bin/sh: bin/glide-dist-upgrade.sh: Permission denied",
            ),
            legacy(22, "AutoUpgrade.3600", "Added marker `/tmp/1528126003155-0` to upgrade marker file."),
            legacy(22, "AutoUpgrade.3600", "SEVERE *** ERROR *** Upgrade failed."),
        ],
    );
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)?;
    has(&r, FindingCode::ScriptNotExecutable)?;
    has(&r, FindingCode::UpgradeFailed)
}

fn plain_permission_denied_is_access_denied() -> Check {
    // The Linux form of "Access is denied" (service user cannot replace a file).
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder(
        "1666596575000-0",
        &[&lptm(
            "INFO",
            "jvm 1",
            true,
            "2022/10/24 09:23:01.000",
            "SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: /opt/servicenow/mid/agent/lib/mid.jar (Permission denied)",
        )],
    );
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    let r = run(&f)?;
    has(&r, FindingCode::AccessDenied)
}

fn precheck_wrong_service_name() -> Check {
    let f = MidFixture::new(Platform::Windows);
    f.agent_log(
        0,
        &[
            "10/22/18 17:50:13 (100) MIDServer MID Server started".into(),
            "10/22/18 17:56:13 (898) AutoUpgrade.3600 SEVERE *** ERROR *** Aborting MID Server upgrade due to pre-upgrade check failure: Service snc_mid_kingston1 does not exist".into(),
            "10/22/18 17:56:14 (001) AutoUpgrade.3600 Setting mid status to Upgrade Failed".into(),
        ],
    );
    let r = run(&f)?;
    verdict(&r, Verdict::Healthy)?;
    has(&r, FindingCode::WrapperNameMismatch)?;
    // One event, one finding: the status line joins the pre-check's cause.
    ensure!(
        !codes(&r).contains(&FindingCode::UpgradeFailed),
        "a separate upgrade_failed: {:?}",
        codes(&r)
    );
    let lines: Vec<u64> = r.findings[0].evidence.iter().map(|e| e.line).collect();
    ensure!(lines == vec![2, 3], "evidence lines {lines:?}");
    Ok(())
}

fn precheck_download_failure_is_one_finding() -> Check {
    // KB0565184's sequence, CRLF: the cause, then the status lines.
    let f = MidFixture::new(Platform::Windows);
    f.write(
        "logs/agent0.log.0",
        &crlf(&[
            "10/22/18 17:50:13 (100) MIDServer MID Server started",
            "10/22/18 17:56:13 (898) AutoUpgrade.3600 SEVERE *** ERROR *** Aborting MID Server upgrade due to pre-upgrade check failure: Unable to download updates from install server",
            "10/22/18 17:56:14 (001) AutoUpgrade.3600 Setting mid status to Upgrade Failed",
            "10/22/18 17:56:14 (002) AutoUpgrade.3600 Instance.updateAgentRecordState(), OperationalState=UPGRADE_FAILED",
        ]),
    );
    let r = run(&f)?;
    ensure!(
        codes(&r) == vec![FindingCode::PrecheckFailed],
        "findings {:?}",
        codes(&r)
    );
    ensure!(r.findings[0].evidence.len() == 3, "{:?}", r.findings[0]);
    Ok(())
}

// ---------------------------------------------------------------- KB failure modes (issue 11)

/// Lines joined with CRLF, as Windows MIDs write them.
fn crlf(lines: &[&str]) -> String {
    let mut t = lines.join("\r\n");
    t.push_str("\r\n");
    t
}

const CONFLICT: &str = "ERROR | wrapperm | 2019/11/02 19:07:59 | The ServiceNow Platform Distribution Upgrade (midserver-lab) service is already started with status: START_PENDING";

fn upgrade_service_conflict_is_stopped_not_crashed() -> Check {
    // KB0784389, legacy lines; the Gobbling line has no thread column, as the KB prints it.
    for marker in [false, true] {
        let f = MidFixture::new(Platform::Windows);
        let mut lines = vec![
            "11/02/19 19:00:00 (100) MIDServer MID Server started".to_string(),
            "11/02/19 19:07:58 (990) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade."
                .into(),
            format!(
                "11/02/19 19:07:59 (301) Gobbling stderr: cmd.exe /C bin\\glide-dist-upgrade.bat start Gobbled: {CONFLICT}"
            ),
        ];
        if marker {
            lines.push("11/02/19 19:07:59 (400) AutoUpgrade.3600 Added marker `C:\\WINDOWS\\TEMP\\1572721679000-0` to upgrade marker file.".into());
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        f.write("logs/agent0.log.0", &crlf(&refs));
        let r = detect_with(
            &f.agent,
            &host(Platform::Windows, ServiceState::Stopped, None),
            &f.options(),
        )
        .map_err(|e| format!("{e:#}"))?;
        verdict(&r, Verdict::Stopped)?;
        has(&r, FindingCode::UpgradeServiceConflict)?;
        for bad in [
            FindingCode::TempFolderMissing,
            FindingCode::ServiceAutoStart,
            FindingCode::UpgradeFailed,
        ] {
            ensure!(!codes(&r).contains(&bad), "{bad:?} in {:?}", codes(&r));
        }
        let ev = &r.findings[0].evidence[0];
        ensure!(ev.line == 3, "evidence line {}", ev.line);
        ensure!(!ev.text.ends_with('\r'), "CR kept: {:?}", ev.text);
        let text = render_text(&r);
        ensure!(
            text.contains("unique name") && text.contains("sc.exe start snc_mid_prod1"),
            "advice: {text}"
        );
        ensure!(
            !text.contains("Restore by hand") && !text.contains("midrescue resume"),
            "reinstall or re-run advice: {text}"
        );
        ensure!(
            r.findings[0].message.contains("KB0784389"),
            "no KB in {}",
            r.findings[0].message
        );
    }
    Ok(())
}

fn upgrade_service_conflict_iso_format() -> Check {
    let f = MidFixture::new(Platform::Windows);
    f.write(
        "logs/agent0.log.0",
        &crlf(&[
            "2022-10-24T09:00:35.193+0200 INFO (MIDServer) [Main:265] Initializing MID Server",
            "2022-10-24T09:22:35.193+0200 INFO (AutoUpgrade.3600) [AutoUpgrade:88] Stopping MID server. Bootstrapping upgrade.",
            &format!("2022-10-24T09:22:36.001+0200 INFO (AutoUpgrade.3600) [StreamGobbler:50] Gobbling stderr: cmd.exe /C bin\\glide-dist-upgrade.bat start Gobbled: {CONFLICT}"),
        ]),
    );
    let r = run(&f)?;
    verdict(&r, Verdict::Stopped)?;
    has(&r, FindingCode::UpgradeServiceConflict)
}

fn java_not_runnable_in_wrapper_log() -> Check {
    // KB0647664: a Linux ZIP on Windows.
    for name in ["wrapper.log", "wrapper.txt"] {
        let f = MidFixture::new(Platform::Windows);
        f.agent_log(0, &[legacy(0, "MIDServer", "MID Server stopped")]);
        f.write(
            &format!("logs/{name}"),
            &crlf(&[
                "2019/09/21 16:40:00 | --> Wrapper Started as Service",
                "2019/09/21 16:40:01 | Java Service Wrapper Standard Edition 64-bit 3.5.36",
                "2019/09/21 16:40:02 | Launching a JVM...",
                "2019/09/21 16:40:02 | The value of wrapper.java.command does not appear to be a java binary.",
                "2019/09/21 16:40:02 | Unable to execute Java command.  The system cannot find the file specified. (0x2)",
                "2019/09/21 16:40:02 | Critical error: wait for JVM process failed",
            ]),
        );
        let r = run(&f)?;
        verdict(&r, Verdict::Stopped)?;
        has(&r, FindingCode::JavaNotRunnable)?;
        let j = r
            .findings
            .iter()
            .find(|x| x.code == FindingCode::JavaNotRunnable)
            .ok_or("no finding")?;
        let mut lines: Vec<u64> = j.evidence.iter().map(|e| e.line).collect();
        lines.sort();
        ensure!(lines == vec![4, 5, 6], "{name}: evidence lines {lines:?}");
        ensure!(
            j.evidence[0].file.ends_with(name),
            "{name}: {:?}",
            j.evidence[0].file
        );
    }
    Ok(())
}

fn config_decrypt_failed_with_stack_trace() -> Check {
    // KB0745202: the SEVERE line, then stack-trace lines without a timestamp.
    let f = MidFixture::new(Platform::Windows);
    f.write(
        "logs/agent0.log.0",
        &crlf(&[
            "05/15/19 10:38:20 (100) MIDServer MID Server starting",
            "05/15/19 10:38:22 (564) MIDServer SEVERE *** ERROR *** Unexpected exception, terminating the MID server java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting",
            "\tat com.service_now.mid.services.config.ConfigParameters.unsecure(ConfigParameters.java:210)",
            "\tat com.service_now.mid.Main.start(Main.java:113)",
            "\tat org.tanukisoftware.wrapper.WrapperStartStopApp.run(WrapperStartStopApp.java:238)",
            "05/15/19 10:38:23 (001) MIDServer MID Server stopped",
        ]),
    );
    let r = run(&f)?;
    verdict(&r, Verdict::Stopped)?;
    has(&r, FindingCode::ConfigDecryptFailed)?;
    let c = r
        .findings
        .iter()
        .find(|x| x.code == FindingCode::ConfigDecryptFailed)
        .ok_or("none")?;
    ensure!(c.evidence[0].line == 2, "line {}", c.evidence[0].line);
    ensure!(c.message.contains("plain text"), "advice: {}", c.message);
    let text = render_text(&r);
    ensure!(text.contains("plain text"), "next step: {text}");
    // The same failure as the wrapper copies it: `jvm 1` lines, the exception on its own line.
    let g = MidFixture::new(Platform::Linux);
    g.agent_log(0, &[legacy(0, "MIDServer", "MID Server started")]);
    g.write(
        "logs/wrapper.log",
        "INFO   | jvm 1    | 2019/09/21 16:00:13.000 | java.lang.RuntimeException: Unable to unsecure parameter mid.instance.password: Problem while decrypting\n\
         \tat com.service_now.mid.Main.start(Main.java:113)\n",
    );
    let r = run(&g)?;
    has(&r, FindingCode::ConfigDecryptFailed)
}

fn upgrade_scenario_unknown_names_the_target() -> Check {
    // The line as a public issue on a MID docker image quotes it (a hotfix build assigned an
    // older patch: a downgrade the MID cannot plan).
    let assigned = "sandiego-12-22-2021__patch9a-12-12-2022_01-04-2023_0931";
    let f = MidFixture::new(Platform::Linux);
    f.agent_log(
        0,
        &[
            "03/02/23 09:20:01 (100) MIDServer MID Server started".into(),
            format!("03/02/23 09:24:10 (512) AutoUpgrade.3600 WARNING *** WARNING *** Unable to determine upgrade scenario with current=sandiego-12-22-2021__patch9a-hotfix1-01-31-2023_02-01-2023_1625 assigned={assigned}"),
        ],
    );
    let r = run(&f)?;
    has(&r, FindingCode::UpgradeScenarioUnknown)?;
    ensure!(
        r.target_version.as_deref() == Some(assigned),
        "target {:?}",
        r.target_version
    );
    // The ISO form with CRLF.
    let g = MidFixture::new(Platform::Windows);
    g.write(
        "logs/agent0.log.0",
        &crlf(&[
            &iso(0, "MIDServer", "Initializing MID Server"),
            &format!("2022-10-24T09:05:35.193+0200 WARN (AutoUpgrade.3600) [AutoUpgrade:412] *** WARNING *** Unable to determine upgrade scenario with current={OLD} assigned={NEW}"),
        ]),
    );
    let r = run(&g)?;
    has(&r, FindingCode::UpgradeScenarioUnknown)?;
    ensure!(
        r.target_version.as_deref() == Some(NEW),
        "iso target {:?}",
        r.target_version
    );
    Ok(())
}

fn scanned_temp_folders_must_name_the_install() -> Check {
    let f = MidFixture::new(Platform::Linux);
    f.agent_log(0, &[legacy(0, "MIDServer", "MID Server started")]);
    let os = f.root.path().join("ostmp");
    // Another MID's leftover: its conf names another agent folder.
    let other = os.join("1528126003155-0");
    write_file(
        &other.join("upgrade-wrapper/conf/wrapper.conf"),
        b"wrapper.app.parameter.2=/opt/other-mid/agent\n",
    );
    write_file(
        &other.join("upgrade-wrapper/bin/glide-dist-upgrade.sh"),
        b"#!/bin/sh\n",
    );
    let r = run(&f)?;
    ensure!(r.upgrade.is_none(), "used: {:?}", r.upgrade);
    ensure!(
        r.unattributed_temp_dirs == vec![other.clone()],
        "unattributed {:?}",
        r.unattributed_temp_dirs
    );
    ensure!(
        render_text(&r).contains("not used"),
        "text: {}",
        render_text(&r)
    );
    // A crash whose marker line is gone (rotated away): only a folder naming this install
    // may stand in.
    f.agent_log(
        0,
        &[
            legacy(0, "MIDServer", "MID Server started"),
            legacy(
                22,
                "AutoUpgrade.3600",
                "Stopping MID server. Bootstrapping upgrade.",
            ),
        ],
    );
    let r = run(&f)?;
    verdict(&r, Verdict::TempFolderLost)?;
    let mine = f.temp_folder_at(&os.join("1528126003999-0"), &[]);
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &mine)?;
    ensure!(
        matches!(r.temp_dir_attribution, Some(Attribution::ByContent(_))),
        "attribution {:?}",
        r.temp_dir_attribution
    );
    ensure!(
        r.unattributed_temp_dirs == vec![other],
        "{:?}",
        r.unattributed_temp_dirs
    );
    Ok(())
}

/// `yyyy/MM/dd HH:mm:ss` of a UTC instant in this host's zone (how the wrapper writes it).
fn host_local(utc: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(utc).expect("rfc3339");
    t.with_timezone(&chrono::Local)
        .format("%Y/%m/%d %H:%M:%S")
        .to_string()
}

fn wrapper_cutoff_compares_instants() -> Check {
    // The upgrade began 09:22 at +0200 (07:22Z). Wrapper lines are host local time: one from
    // 07:15Z (before the upgrade: ignored), one from 07:25Z (kept), whatever the host's zone.
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1666596575000-0", &[]);
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    f.write(
        "logs/wrapper.log",
        &format!(
            "{} | Machine is shutting down.\n{} | Startup failed: Timed out waiting for a signal from the JVM.\n",
            host_local("2022-10-24T07:15:00Z"),
            host_local("2022-10-24T07:25:00Z"),
        ),
    );
    let r = run(&f)?;
    has(&r, FindingCode::JvmStartTimeout)?;
    ensure!(
        !codes(&r).contains(&FindingCode::MachineShutdown),
        "a line from before the upgrade: {:?}",
        codes(&r)
    );
    Ok(())
}

fn zone_less_times_say_host_local_time() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    crash_log(&f, &f.marker_text(&temp));
    let r = run(&f)?;
    let text = render_text(&r);
    ensure!(
        text.contains("began 2019-09-21 16:22:12 (host local time)"),
        "{text}"
    );
    Ok(())
}

fn bare_cr_and_indented_package_lines() -> Check {
    // A log copied through an editor that wrote bare CR; package sub-lines indented.
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    let m = f.marker_text(&temp);
    let lines = [
        "09/21/19 16:00:12 (551) MIDServer MID Server started".to_string(),
        "09/21/19 16:20:12 (551) AutoUpgrade.3600 Current packages:".into(),
        format!(
            "09/21/19 16:20:12 (551) StartupSequencer     Install name: mid-core.{OLD}.universal.universal.zip"
        ),
        format!(
            "09/21/19 16:20:12 (551) AutoUpgrade.3600     Assigned:   [mid-core.{NEW}.universal.universal.zip]"
        ),
        "09/21/19 16:22:12 (551) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade."
            .into(),
        format!(
            "09/21/19 16:22:12 (551) AutoUpgrade.3600 Added marker `{m}` to upgrade marker file."
        ),
    ];
    f.write("logs/agent0.log.0", &(lines.join("\r") + "\r"));
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)?;
    let ml = r
        .upgrade
        .as_ref()
        .and_then(|u| u.marker_line.as_ref())
        .ok_or("no marker")?;
    ensure!(ml.line == 6, "marker line number {}", ml.line);
    // Without the temp folder's meta file the Assigned: line names the target.
    std::fs::remove_dir_all(temp.join("agent")).map_err(|e| e.to_string())?;
    let r = run(&f)?;
    ensure!(
        r.target_version.as_deref() == Some(NEW),
        "target {:?}",
        r.target_version
    );
    Ok(())
}

fn live_log_lock_means_running() -> Check {
    // The docs' sign: agent0.log.0.lck with agent0.log.0 written just now. The start line
    // rotated away; the service state is unknown (another host's control).
    let f = MidFixture::new(Platform::Windows);
    f.agent_log(0, &[legacy(30, "ECCQueueMonitor.40", "Polling ECC queue")]);
    let r = run(&f)?;
    verdict(&r, Verdict::Stopped)?;
    f.write("logs/agent0.log.0.lck", "");
    let r = run(&f)?;
    verdict(&r, Verdict::Healthy)?;
    // A crash leaves the .lck; the log goes quiet.
    age(&f.path("logs/agent0.log.0"), 3600);
    let r = run(&f)?;
    verdict(&r, Verdict::Stopped)
}

// ---------------------------------------------------------------- marker forms

fn windows_os_temp_marker_on_linux_host() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder_at(&f.root.path().join("ostmp/1569035472492-0"), &[]);
    crash_log(&f, "C:\\WINDOWS\\TEMP\\1569035472492-0");
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)
}

fn marker_rerooted_on_a_disk_copy() -> Check {
    // A copy of a Windows disk: <copy>/ServiceNow/MID Server1/agent and
    // <copy>/Windows/Temp/<n>; a copy of a Linux disk: <copy>/opt/.../agent and <copy>/tmp/<n>.
    let f = MidFixture::new(Platform::Windows);
    let copy = f.root.path().join("disk-c");
    let agent = copy.join("ServiceNow/MID Server1/agent");
    std::fs::create_dir_all(agent.parent().ok_or("parent")?).map_err(|e| e.to_string())?;
    std::fs::rename(&f.agent, &agent).map_err(|e| e.to_string())?;
    let moved = MidFixture {
        root: tempfile::tempdir().map_err(|e| e.to_string())?,
        agent: agent.clone(),
        platform: Platform::Windows,
    };
    let temp = moved.temp_folder_at(&copy.join("Windows/Temp/1569035472492-0"), &[]);
    crash_log(&moved, "C:\\WINDOWS\\TEMP\\1569035472492-0");
    let r = detect_with(&agent, &unknown_host(Platform::Windows), &moved.options())
        .map_err(|e| format!("{e:#}"))?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)?;

    let g = MidFixture::new(Platform::Linux);
    let copy = g.root.path().join("disk");
    let agent = copy.join("opt/servicenow/mid/agent");
    std::fs::create_dir_all(agent.parent().ok_or("parent")?).map_err(|e| e.to_string())?;
    std::fs::rename(&g.agent, &agent).map_err(|e| e.to_string())?;
    let moved = MidFixture {
        root: tempfile::tempdir().map_err(|e| e.to_string())?,
        agent: agent.clone(),
        platform: Platform::Linux,
    };
    let temp = moved.temp_folder_at(&copy.join("tmp/1528126003155-0"), &[]);
    moved.agent_log(0, &iso_upgrade_lines("/tmp/1528126003155-0"));
    let r = detect_with(&agent, &unknown_host(Platform::Linux), &moved.options())
        .map_err(|e| format!("{e:#}"))?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)
}

fn marker_folder_is_not_the_newest_scanned() -> Check {
    // Another (newer) leftover temp folder must not hide the marker's own.
    let f = MidFixture::new(Platform::Windows);
    let mine = f.temp_folder_at(&f.root.path().join("ostmp/1569035472492-0"), &[]);
    let other = f.temp_folder_at(&f.root.path().join("ostmp/1569999999999-0"), &[]);
    age(&mine, 3600);
    age(&other, 10);
    crash_log(&f, "C:\\WINDOWS\\TEMP\\1569035472492-0");
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &mine)
}

fn rome_marker_windows_absolute_with_spaces() -> Check {
    // Written on the Windows host as C:\ServiceNow\MID Server1\agent\work\upgrade_temp\<n>;
    // read here from a copy of that install.
    let f = MidFixture::new(Platform::Windows);
    let mine = f.temp_folder("1700000000001", &[]);
    let other = f.temp_folder("1700000000999", &[]);
    age(&mine, 3600);
    age(&other, 10);
    crash_log(
        &f,
        "C:\\ServiceNow\\MID Server1\\agent\\work\\upgrade_temp\\1700000000001",
    );
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &mine)
}

fn rome_marker_relative_forms() -> Check {
    for (platform, raw) in [
        (Platform::Linux, "agent/work/upgrade_temp/1700000000001"),
        (Platform::Linux, "../agent/work/upgrade_temp/1700000000001"),
        (Platform::Linux, "work/upgrade_temp/1700000000001"),
        (
            Platform::Windows,
            "..\\agent\\work\\upgrade_temp\\1700000000001",
        ),
        (
            Platform::Windows,
            "agent\\work\\upgrade_temp\\1700000000001",
        ),
        (Platform::Windows, "work\\upgrade_temp\\1700000000001\\"),
    ] {
        let f = MidFixture::new(platform);
        let mine = f.temp_folder("1700000000001", &[]);
        let other = f.temp_folder("1700000000999", &[]);
        age(&mine, 3600);
        age(&other, 10);
        crash_log(&f, raw);
        let r = run(&f)?;
        verdict(&r, Verdict::CrashedUpgrade).map_err(|e| format!("{raw}: {e}"))?;
        let got = r.upgrade.as_ref().and_then(|u| u.temp_dir.clone());
        ensure!(
            got.as_ref()
                .and_then(|g| g.canonicalize().ok())
                .is_some_and(|g| g == mine.canonicalize().unwrap_or_default()),
            "{raw}: temp_dir {got:?}"
        );
        ensure!(
            r.upgrade.as_ref().and_then(|u| u.temp_dir_source) == Some(TempDirSource::Marker)
                || r.upgrade.as_ref().and_then(|u| u.temp_dir_source) == Some(TempDirSource::Scan),
            "{raw}: source"
        );
    }
    Ok(())
}

fn marker_folder_gone_is_lost_even_with_other_leftovers() -> Check {
    let f = MidFixture::new(Platform::Windows);
    f.temp_folder_at(&f.root.path().join("ostmp/1569999999999-0"), &[]);
    crash_log(&f, "C:\\WINDOWS\\TEMP\\1569035472492-0");
    let r = run(&f)?;
    verdict(&r, Verdict::TempFolderLost)
}

fn added_service_line_is_not_a_marker() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    f.agent_log(
        0,
        &[
            legacy(0, "MIDServer", "MID Server started"),
            legacy(22, "AutoUpgrade.3600", "Stopping MID server. Bootstrapping upgrade."),
            legacy(
                22,
                "AutoUpgrade.3600",
                "INFO: Added service `snc-platform-dist-upgrade-midserver-prod-full` to upgrade marker file.",
            ),
        ],
    );
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)?;
    ensure!(
        r.upgrade.as_ref().and_then(|u| u.temp_dir_source) == Some(TempDirSource::Scan),
        "source"
    );
    Ok(())
}

// ---------------------------------------------------------------- config files

fn config_xml_variants() -> Check {
    let variants: &[(&str, &[u8])] = &[
        (
            "bom+crlf",
            b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<parameters>\r\n<parameter name=\"url\" value=\"https://acme.service-now.com/\"/>\r\n<parameter name=\"name\" value=\"mid-prod-1\"/>\r\n</parameters>\r\n",
        ),
        (
            "single quotes, order, whitespace",
            b"<?xml version='1.0'?>\n<parameters>\n\t<parameter\n\t\tvalue = 'mid-prod-1'\n\t\tname = 'name' />\n<parameter value='https://acme.service-now.com/' name='url'></parameter>\n</parameters>",
        ),
        (
            "comments and commented params",
            b"<?xml version=\"1.0\"?>\n<!-- <parameter name=\"name\" value=\"OLD\"/> -->\n<parameters>\n<!-- proxy\n<parameter name=\"mid.proxy.password\" value=\"CANARY-commented\"/>\n-->\n<parameter name=\"url\" value=\" https://acme.service-now.com/ \"/>\n<parameter name=\"name\" value=\"mid-prod-1\"/>\n</parameters>",
        ),
        (
            "missing name attr, cyberark, encrypt",
            b"<parameters><parameter value=\"orphan\"/><parameter name=\"mid.instance.password\" encrypt=\"true\" value=\"CANARY-plain\"/><parameter name=\"mid.proxy.password\" secure=\"true\" value=\"cyberark: id=CANARY-id, type=CANARY-type\"/><parameter name=\"url\" value=\"https://acme.service-now.com/\"/><parameter name=\"name\" value=\"mid-prod-1\"/></parameters>",
        ),
        (
            "unescaped ampersand later in the file",
            b"<parameters><parameter name=\"url\" value=\"https://acme.service-now.com/\"/><parameter name=\"name\" value=\"mid-prod-1\"/><parameter name=\"mid.instance.password\" value=\"CANARY-a&b\"/></parameters>",
        ),
    ];
    for (what, xml) in variants {
        let f = MidFixture::new(Platform::Windows);
        f.write_bytes("config.xml", xml);
        let r = run(&f)?;
        ensure!(
            r.mid_name.as_deref() == Some("mid-prod-1"),
            "{what}: name {:?}",
            r.mid_name
        );
        ensure!(
            r.instance_url.as_deref() == Some("https://acme.service-now.com/"),
            "{what}: url {:?}",
            r.instance_url
        );
        no_canary(&r).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

fn config_xml_utf16_and_truncated() -> Check {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<parameters>\r\n<parameter name=\"url\" value=\"https://acme.service-now.com/\"/>\r\n<parameter name=\"name\" value=\"mid-prod-1\"/>\r\n<parameter name=\"mid.instance.password\" secure=\"true\" value=\"CANARY-utf16\"/>\r\n</parameters>\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    for u in xml.encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let truncated = "<parameters>\n<parameter name=\"url\" value=\"https://acme.service-now.com/\"/>\n<parameter name=\"name\" value=\"mid-prod-1\"/>\n<parameter name=\"mid.instance.password\" secure=\"true\" value=\"CANARY-trunc\"/>\n<parameter na";
    for (what, bytes) in [
        ("utf-16", utf16),
        ("truncated", truncated.as_bytes().to_vec()),
    ] {
        let f = MidFixture::new(Platform::Windows);
        f.write_bytes("config.xml", &bytes);
        let r = run(&f)?;
        ensure!(
            r.mid_name.as_deref() == Some("mid-prod-1")
                && r.instance_url.as_deref() == Some("https://acme.service-now.com/"),
            "{what}: {:?} {:?}",
            r.mid_name,
            r.instance_url
        );
        no_canary(&r).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

fn wrapper_override_variants() -> Check {
    let variants: &[(&str, &str)] = &[
        (
            "bom+crlf+spaces",
            "\u{feff}# overrides\r\nwrapper.name = snc_mid_prod1 \r\nwrapper.displayname = ServiceNow MID Server_prod1\r\n",
        ),
        (
            "include and duplicates",
            "#include ../conf/other.conf\n#wrapper.name=commented\nwrapper.name=snc_mid\nwrapper.ntservice.password=CANARY-pw\nwrapper.name=snc_mid_prod1\nwrapper.displayname=ServiceNow MID Server_prod1\n",
        ),
        (
            "tabs",
            "\twrapper.name\t=\tsnc_mid_prod1\nwrapper.displayname=ServiceNow MID Server_prod1\n",
        ),
    ];
    for (what, text) in variants {
        let f = MidFixture::new(Platform::Windows);
        f.write("conf/wrapper-override.conf", text);
        let names = midrescue::mid::confs::read_wrapper_names(&f.agent);
        ensure!(
            names.name.as_deref() == Some("snc_mid_prod1"),
            "{what}: name {:?}",
            names.name
        );
        ensure!(
            names.display_name.as_deref() == Some("ServiceNow MID Server_prod1"),
            "{what}: display {:?}",
            names.display_name
        );
        let r = run(&f)?;
        no_canary(&r).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

fn shconf_export_and_quotes_find_the_unit() -> Check {
    for over in [
        "export APP_NAME=\"midserver\"\n",
        "APP_NAME='midserver'   # set by installer\n",
        "APP_NAME=\"midserver\"\r\nRUN_AS_USER=midserver\r\n",
    ] {
        let f = MidFixture::new(Platform::Linux);
        let temp = f.temp_folder("1666596575000-0", &[]);
        f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
        f.write("bin/mid.shconf_override", over);
        write_file(
            &f.root.path().join("sysroot/etc/systemd/system/midserver.service"),
            b"[Unit]\nDescription=ServiceNow MID Server\n[Service]\nExecStart=/opt/servicenow/mid/agent/bin/mid.sh start sysd\nKillMode = control-group\n",
        );
        write_file(
            &f.root.path().join("sysroot/etc/systemd/system/mid.service"),
            b"[Service]\nKillMode=process\n",
        );
        let r = run(&f)?;
        has(&r, FindingCode::KillmodeControlGroup).map_err(|e| format!("{over:?}: {e}"))?;
        let f_ev = r
            .findings
            .iter()
            .find(|x| x.code == FindingCode::KillmodeControlGroup)
            .and_then(|x| x.evidence.first().cloned());
        ensure!(
            f_ev.as_ref().is_some_and(|e| e.line == 5),
            "{over:?}: evidence line {f_ev:?}"
        );
    }
    Ok(())
}

fn shconf_killmode_without_unit() -> Check {
    // A copied Linux install (no unit on this host): mid.sh install would write control-group.
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1666596575000-0", &[]);
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    f.write("bin/mid.shconf", "APP_NAME=mid\nSYSTEMD_KILLMODE=process\n");
    f.write(
        "bin/mid.shconf_override",
        "APP_NAME=mid\nexport SYSTEMD_KILLMODE=\"control-group\"\n",
    );
    let r = run(&f)?;
    has(&r, FindingCode::KillmodeControlGroup)?;
    let g = MidFixture::new(Platform::Linux);
    g.write("bin/mid.shconf", "APP_NAME=mid\nSYSTEMD_KILLMODE=process\n");
    let r = run(&g)?;
    ensure!(
        !codes(&r).contains(&FindingCode::KillmodeControlGroup),
        "process reported as control-group"
    );
    Ok(())
}

fn meta_properties_variants() -> Check {
    let stamp = format!("mid-core.{OLD}.universal.universal.zip");
    let variants = [
        format!("#Thu, 02 Jan 2020 17:48:12 -0800\r\npackage.filename={stamp}\r\n"),
        format!("\u{feff}# generated\npackage.filename = {stamp}\n"),
        format!("#Thu Jan 02 17\\:48\\:12 PST 2020\npackage.filename:{stamp}\n"),
        format!("! comment\n   package.filename    {stamp}\n"),
        format!("package.checksum=abc\npackage.filename=\\\n    {stamp}\n"),
    ];
    for text in variants {
        let f = MidFixture::new(Platform::Windows);
        f.write("package/meta/mid-core.meta.properties", &text);
        let r = run(&f)?;
        ensure!(
            r.installed_version.as_deref() == Some(OLD),
            "{text:?}: {:?}",
            r.installed_version
        );
    }
    Ok(())
}

fn incoming_package_names() -> Check {
    // Temp folder gone; target from package/incoming among mid-upgrade, mid-jre, precheck,
    // a partial download and the installed core.
    let f = MidFixture::new(Platform::Windows);
    crash_log(&f, "C:\\WINDOWS\\TEMP\\1569035472492-0");
    // Without the log's Assigned line, so the target must come from incoming.
    let lines: Vec<String> = legacy_upgrade_lines("C:\\WINDOWS\\TEMP\\1569035472492-0")
        .into_iter()
        .filter(|l| !l.contains("Assigned:"))
        .collect();
    f.agent_log(0, &lines);
    for n in [
        format!("mid-core.{OLD}.universal.universal.zip"),
        format!("mid-upgrade.{NEW}.universal.universal.zip"),
        format!("mid-jre.{NEW}.windows.x86-64.zip"),
        format!("mid-upgrade.mid.{NEW}.preUpgradeCheck.zip"),
        format!("mid-core.{NEW}.universal.universal.zip"),
    ] {
        f.write(&format!("package/incoming/{n}"), "PK");
    }
    let partial = f.write(
        "package/incoming/mid-core.zurich-01-01-2027__patch0-01-01-2027_01-01-2027_0000.universal.universal.zip.part",
        "PK",
    );
    age(
        &f.path(&format!(
            "package/incoming/mid-core.{NEW}.universal.universal.zip"
        )),
        600,
    );
    let _ = partial;
    let r = run(&f)?;
    verdict(&r, Verdict::TempFolderLost)?;
    ensure!(
        r.target_version.as_deref() == Some(NEW),
        "target {:?}",
        r.target_version
    );
    Ok(())
}

// ---------------------------------------------------------------- install shapes

fn install_root_with_spaces_and_symlinked_agent() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1700000000001", &[]);
    crash_log(
        &f,
        "C:\\ServiceNow\\MID Server1\\agent\\work\\upgrade_temp\\1700000000001",
    );
    // The same install reached through "MID Server1/agent" (a link) and its root.
    let root = f.root.path().join("MID Server1");
    std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
    symlink(&f.agent, &root.join("agent")).map_err(|e| e.to_string())?;
    for dir in [root.clone(), root.join("agent"), root.join("agent/")] {
        let r = detect_with(&dir, &unknown_host(Platform::Windows), &f.options())
            .map_err(|e| format!("{e:#}"))?;
        verdict(&r, Verdict::CrashedUpgrade).map_err(|e| format!("{}: {e}", dir.display()))?;
        ensure!(
            r.upgrade
                .as_ref()
                .and_then(|u| u.temp_dir.as_ref())
                .and_then(|t| t.canonicalize().ok())
                == temp.canonicalize().ok(),
            "{}: temp {:?}",
            dir.display(),
            r.upgrade
        );
        ensure!(r.agent_dir.is_absolute(), "agent_dir relative");
    }
    Ok(())
}

fn windows_layout_after_bin_was_emptied() -> Check {
    // Pre-Rome upgrades delete bin, lib and jre: the layout must still read as Windows.
    let f = MidFixture::new(Platform::Windows);
    std::fs::remove_dir_all(f.path("bin")).map_err(|e| e.to_string())?;
    f.write(
        "conf/wrapper.conf",
        "wrapper.java.command=jre\\bin\\java\r\nwrapper.name=snc_mid\r\n",
    );
    ensure!(
        install::platform_of(&f.agent) == Some(Platform::Windows),
        "platform {:?}",
        install::platform_of(&f.agent)
    );
    let g = MidFixture::new(Platform::Windows);
    std::fs::remove_dir_all(g.path("bin")).map_err(|e| e.to_string())?;
    g.write("start.bat", "bin\\mid.bat start\r\n");
    ensure!(
        install::platform_of(&g.agent) == Some(Platform::Windows),
        "start.bat: {:?}",
        install::platform_of(&g.agent)
    );
    Ok(())
}

fn linux_layout_with_windows_native_libs() -> Check {
    // mid-core is universal: its lib carries sigar-amd64-winnt.dll on Linux too.
    let f = MidFixture::new(Platform::Linux);
    f.write("lib/sigar-amd64-winnt.dll", "MZ");
    f.write("lib/libsigar-amd64-linux.so", "ELF");
    ensure!(
        install::platform_of(&f.agent) == Some(Platform::Linux),
        "bin intact: {:?}",
        install::platform_of(&f.agent)
    );
    std::fs::remove_dir_all(f.path("bin")).map_err(|e| e.to_string())?;
    f.write("start.sh", "#!/bin/sh\n");
    ensure!(
        install::platform_of(&f.agent) == Some(Platform::Linux),
        "bin emptied: {:?}",
        install::platform_of(&f.agent)
    );
    Ok(())
}

fn unreadable_config_files() -> Check {
    // Folders where files belong: every read fails; detect still answers from the logs.
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    crash_log(&f, &f.marker_text(&temp));
    for p in [
        "config.xml",
        "conf/wrapper-override.conf",
        "package/meta/mid-core.meta.properties",
    ] {
        std::fs::remove_file(f.path(p)).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(f.path(p)).map_err(|e| e.to_string())?;
    }
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    ensure!(
        r.mid_name.is_none() && r.installed_version.is_none(),
        "{r:?}"
    );
    ensure!(
        r.service.name.as_deref() == Some("snc_mid_prod1")
            || r.service.name.as_deref() == Some("snc_mid"),
        "service {:?}",
        r.service.name
    );
    Ok(())
}

fn extracted_jre_lib_is_not_the_package_lib() -> Check {
    // mid-core and mid-jre both extracted in the temp folder: agent/jre/lib holds jars too.
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder("1569035472492-0", &[]);
    for j in [
        "mid.jar",
        "commons-io.jar",
        "glide-util.jar",
        "log4j.jar",
        "snc-ssl.jar",
        "wrapper.jar",
    ] {
        write_file(&temp.join("agent/lib").join(j), b"PK");
    }
    for j in ["jrt-fs.jar", "charsets.jar"] {
        write_file(&temp.join("agent/jre/lib").join(j), b"PK");
    }
    crash_log(&f, &f.marker_text(&temp));
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    ensure!(
        r.lib == midrescue::mid::report::LibState::Intact,
        "lib {:?}: {:?}",
        r.lib,
        r.findings
    );
    Ok(())
}

fn very_long_temp_path() -> Check {
    let f = MidFixture::new(Platform::Linux);
    let deep: PathBuf = (0..20).fold(f.root.path().join("deep"), |p, i| {
        p.join(format!("level-{i:02}-with a few spaces"))
    });
    let temp = f.temp_folder_at(&deep.join("1666596575000-0"), &[]);
    f.agent_log(0, &iso_upgrade_lines(&f.marker_text(&temp)));
    let r = run(&f)?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    temp_is(&r, &temp)
}

fn install_path_not_unicode() -> Check {
    // Not valid Unicode: a Latin-1 byte on Unix, an unpaired surrogate on Windows.
    #[cfg(unix)]
    let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"MID S\xe9rver");
    #[cfg(windows)]
    let name = &<std::ffi::OsString as std::os::windows::ffi::OsStringExt>::from_wide(&[
        0x4d, 0x49, 0x44, 0x20, 0x53, 0xd800, 0x72, 0x76, 0x65, 0x72,
    ]);
    let f = MidFixture::new(Platform::Linux);
    let odd = f.root.path().join(name);
    std::fs::rename(f.agent.parent().ok_or("parent")?, &odd).map_err(|e| e.to_string())?;
    let agent = odd.join("agent");
    let temp = agent.join("work/upgrade_temp/1666596575000-0");
    // The same builder, pointed at the renamed install.
    let moved = MidFixture {
        root: tempfile::tempdir().map_err(|e| e.to_string())?,
        agent: agent.clone(),
        platform: Platform::Linux,
    };
    moved.temp_folder_at(&temp, &[]);
    moved.agent_log(0, &iso_upgrade_lines(&temp.display().to_string()));
    let r = detect_with(&agent, &unknown_host(Platform::Linux), &f.options())
        .map_err(|e| format!("{e:#}"))?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    let json = serde_json::to_string(&r).map_err(|e| format!("JSON: {e}"))?;
    ensure!(json.contains("MID S\u{fffd}rver"), "{json}");
    Ok(())
}

// ---------------------------------------------------------------- output hygiene

const CANARIES: &[&str] = &["CANARY", "Q0FOQVJZ", "hunter2"];

fn no_canary(r: &DetectReport) -> Check {
    let json = serde_json::to_string(r).map_err(|e| e.to_string())?;
    let text = render_text(r);
    for c in CANARIES {
        ensure!(!json.contains(c), "{c} in JSON: {json}");
        ensure!(!text.contains(c), "{c} in text: {text}");
    }
    Ok(())
}

fn secrets_in_evidence_lines_are_masked() -> Check {
    let f = MidFixture::new(Platform::Windows);
    let temp = f.temp_folder(
        "1569035472492-0",
        &[
            &lptm("INFO", "jvm 1", true, "2019/09/21 16:30:40.000", "INFO: command line -Dmid.instance.password=CANARY1 -Djavax.net.ssl.keyStorePassword=\"CANARY2 x\" wrapper.ntservice.password=CANARY3 Machine is shutting down."),
            &lptm("INFO", "jvm 1", true, "2019/09/21 16:30:41.000", "SEVERE: upload failed: Authorization: Basic Q0FOQVJZOmh1bnRlcjI= Access is denied"),
            &lptm("INFO", "jvm 1", true, "2019/09/21 16:30:42.000", "SEVERE: Authorization: Bearer CANARY.jwt.token, x-sn-apikey: CANARY-key; Access is denied"),
            &lptm("INFO", "jvm 1", true, "2019/09/21 16:30:43.000", "SEVERE: NTLM Authorization: NTLM CANARYTlRMTVNTUAAB Upgrade failed. mid_upgrade.UpgradeException"),
            &lptm("INFO", "jvm 1", true, "2019/09/21 16:30:44.000", "SEVERE: config <parameter value=\"CANARY-xml\" name=\"mid.instance.password\"/> <parameter name=\"x\" secure=\"true\" value=\"encrypted:Q0FOQVJZ\"/> Access is denied"),
        ],
    );
    let mut lines = legacy_upgrade_lines(&f.marker_text(&temp));
    lines.push(legacy(
        24,
        "AutoUpgrade.3600",
        "SEVERE *** ERROR *** Upgrade failed. posting to https://admin:hunter2@acme.service-now.com/ failed",
    ));
    f.agent_log(0, &lines);
    let r = run(&f)?;
    has(&r, FindingCode::AccessDenied)?;
    // Every planted line is in the output (so the check below is not vacuous).
    let json = serde_json::to_string(&r).map_err(|e| e.to_string())?;
    for shown in [
        "-Dmid.instance.password=***",
        "Basic ***",
        "Bearer ***",
        "NTLM ***",
        "value=\\\"***REDACTED***\\\" name=\\\"mid.instance.password",
        "https://***REDACTED***@acme",
    ] {
        ensure!(json.contains(shown), "{shown} not in {json}");
    }
    no_canary(&r)
}

fn control_characters_never_reach_the_output() -> Check {
    let f = MidFixture::new(Platform::Linux);
    let temp = f.temp_folder("1666596575000-0", &[]);
    let mut lines = iso_upgrade_lines(&f.marker_text(&temp));
    lines.push(iso(
        30,
        "AutoUpgrade.3600",
        "SEVERE *** ERROR *** Upgrade failed. \u{1b}]0;pwned\u{7}\u{1b}[2J\u{8}\u{9b}31m",
    ));
    f.agent_log(0, &lines);
    f.write(
        "config.xml",
        "<parameters><parameter name=\"name\" value=\"mid&#27;[31m\"/><parameter name=\"url\" value=\"https://a&#7;.service-now.com/\"/></parameters>",
    );
    let r = run(&f)?;
    has(&r, FindingCode::UpgradeFailed)?;
    let json = serde_json::to_value(&r).map_err(|e| e.to_string())?;
    let mut bad = Vec::new();
    walk_strings(&json, &mut |s| {
        if s.chars().any(|c| c.is_control() && c != '\t') {
            bad.push(s.to_string());
        }
    });
    ensure!(
        bad.is_empty(),
        "control characters in JSON strings: {bad:?}"
    );
    let text = render_text(&r);
    ensure!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control characters in text"
    );
    Ok(())
}

fn control_characters_in_install_path() -> Check {
    let f = MidFixture::new(Platform::Linux);
    let odd = f.root.path().join("mid\u{1b}[2J\u{7}");
    std::fs::rename(f.agent.parent().ok_or("parent")?, &odd).map_err(|e| e.to_string())?;
    let moved = MidFixture {
        root: tempfile::tempdir().map_err(|e| e.to_string())?,
        agent: odd.join("agent"),
        platform: Platform::Linux,
    };
    let temp = moved.temp_folder("1666596575000-0", &[]);
    let mut lines = iso_upgrade_lines(&temp.display().to_string());
    lines.push(iso(
        30,
        "AutoUpgrade.3600",
        "SEVERE *** ERROR *** Upgrade failed.",
    ));
    moved.agent_log(0, &lines);
    let r = detect_with(&moved.agent, &unknown_host(Platform::Linux), &f.options())
        .map_err(|e| format!("{e:#}"))?;
    verdict(&r, Verdict::CrashedUpgrade)?;
    let text = render_text(&r);
    ensure!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control characters in text: {text:?}"
    );
    Ok(())
}

fn walk_strings(v: &serde_json::Value, f: &mut dyn FnMut(&str)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk_strings(x, f)),
        serde_json::Value::Object(o) => o.values().for_each(|x| walk_strings(x, f)),
        _ => {}
    }
}

#[test]
fn variants_from_the_reference() {
    let cases: &[Case] = &[
        ("lptm_collapsed_padding", lptm_collapsed_padding),
        (
            "application_experience_capital_denied",
            application_experience_capital_denied,
        ),
        ("wrapper_log_only_rotated", wrapper_log_only_rotated),
        ("wrapper_log_rollnum_in_name", wrapper_log_rollnum_in_name),
        ("wrapper_log_is_a_directory", wrapper_log_is_a_directory),
        ("wrapper_log_lptm_format", wrapper_log_lptm_format),
        (
            "old_wrapper_failures_before_the_upgrade_are_ignored",
            old_wrapper_failures_before_the_upgrade_are_ignored,
        ),
        (
            "temp_folder_lost_evidence_in_dist_upgrade_log",
            temp_folder_lost_evidence_in_dist_upgrade_log,
        ),
        ("upgrade_log_rolled", upgrade_log_rolled),
        (
            "finished_upgrade_log_appended_to_wrapper_log",
            finished_upgrade_log_appended_to_wrapper_log,
        ),
        ("iso_zone_variants", iso_zone_variants),
        (
            "marker_only_in_rotated_log_with_empty_current",
            marker_only_in_rotated_log_with_empty_current,
        ),
        ("only_agent_log_1_present", only_agent_log_1_present),
        ("agent_log_0_is_a_directory", agent_log_0_is_a_directory),
        ("agent_log_symlinked_file", agent_log_symlinked_file),
        ("jul_unique_number_family", jul_unique_number_family),
        ("gobbled_permission_denied", gobbled_permission_denied),
        (
            "plain_permission_denied_is_access_denied",
            plain_permission_denied_is_access_denied,
        ),
        ("precheck_wrong_service_name", precheck_wrong_service_name),
        (
            "precheck_download_failure_is_one_finding",
            precheck_download_failure_is_one_finding,
        ),
        (
            "upgrade_service_conflict_is_stopped_not_crashed",
            upgrade_service_conflict_is_stopped_not_crashed,
        ),
        (
            "upgrade_service_conflict_iso_format",
            upgrade_service_conflict_iso_format,
        ),
        (
            "java_not_runnable_in_wrapper_log",
            java_not_runnable_in_wrapper_log,
        ),
        (
            "config_decrypt_failed_with_stack_trace",
            config_decrypt_failed_with_stack_trace,
        ),
        (
            "upgrade_scenario_unknown_names_the_target",
            upgrade_scenario_unknown_names_the_target,
        ),
        (
            "scanned_temp_folders_must_name_the_install",
            scanned_temp_folders_must_name_the_install,
        ),
        (
            "wrapper_cutoff_compares_instants",
            wrapper_cutoff_compares_instants,
        ),
        (
            "zone_less_times_say_host_local_time",
            zone_less_times_say_host_local_time,
        ),
        (
            "bare_cr_and_indented_package_lines",
            bare_cr_and_indented_package_lines,
        ),
        ("live_log_lock_means_running", live_log_lock_means_running),
        (
            "windows_os_temp_marker_on_linux_host",
            windows_os_temp_marker_on_linux_host,
        ),
        (
            "marker_rerooted_on_a_disk_copy",
            marker_rerooted_on_a_disk_copy,
        ),
        (
            "marker_folder_is_not_the_newest_scanned",
            marker_folder_is_not_the_newest_scanned,
        ),
        (
            "rome_marker_windows_absolute_with_spaces",
            rome_marker_windows_absolute_with_spaces,
        ),
        ("rome_marker_relative_forms", rome_marker_relative_forms),
        (
            "marker_folder_gone_is_lost_even_with_other_leftovers",
            marker_folder_gone_is_lost_even_with_other_leftovers,
        ),
        (
            "added_service_line_is_not_a_marker",
            added_service_line_is_not_a_marker,
        ),
        ("config_xml_variants", config_xml_variants),
        (
            "config_xml_utf16_and_truncated",
            config_xml_utf16_and_truncated,
        ),
        ("wrapper_override_variants", wrapper_override_variants),
        (
            "shconf_export_and_quotes_find_the_unit",
            shconf_export_and_quotes_find_the_unit,
        ),
        ("shconf_killmode_without_unit", shconf_killmode_without_unit),
        ("meta_properties_variants", meta_properties_variants),
        ("incoming_package_names", incoming_package_names),
        (
            "install_root_with_spaces_and_symlinked_agent",
            install_root_with_spaces_and_symlinked_agent,
        ),
        (
            "windows_layout_after_bin_was_emptied",
            windows_layout_after_bin_was_emptied,
        ),
        (
            "linux_layout_with_windows_native_libs",
            linux_layout_with_windows_native_libs,
        ),
        ("unreadable_config_files", unreadable_config_files),
        (
            "extracted_jre_lib_is_not_the_package_lib",
            extracted_jre_lib_is_not_the_package_lib,
        ),
        ("very_long_temp_path", very_long_temp_path),
        ("install_path_not_unicode", install_path_not_unicode),
        (
            "secrets_in_evidence_lines_are_masked",
            secrets_in_evidence_lines_are_masked,
        ),
        (
            "control_characters_never_reach_the_output",
            control_characters_never_reach_the_output,
        ),
        (
            "control_characters_in_install_path",
            control_characters_in_install_path,
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, case)| case().err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} variants failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The variants again with a non-UTC host zone (CI runs in UTC, where reading a zone-less line
/// in the wrong zone cannot show): a POSIX TZ string, so no zone database is needed.
#[test]
fn variants_under_a_non_utc_zone() {
    if std::env::var_os("MIDRESCUE_TZ_CHILD").is_some() {
        return;
    }
    for tz in ["IST-5:30", "EST+5EDT,M3.2.0,M11.1.0"] {
        let out = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args(["variants_from_the_reference", "--exact", "--test-threads=1"])
            .env("TZ", tz)
            .env("MIDRESCUE_TZ_CHILD", "1")
            .output()
            .expect("re-run");
        assert!(
            out.status.success(),
            "TZ={tz}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
    }
}
