//! Every scenario: what `detect` says on a fresh lab, that every log line parses with the `mid`
//! parsers, the layout, and `lab create`'s refusals.

mod lab_common;

use std::path::Path;
use std::process::Command;

use lab_common::{Lab, bin, detect, finding_codes};
use midrescue::lab;
use midrescue::mid::logline::{self, LineFormat};
use midrescue::mid::report::LibState;

#[test]
fn detect_gives_each_scenario_its_intended_verdict_and_findings() {
    let logs = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for sc in lab::scenarios() {
        let l = Lab::new(sc.name, 1.0);
        let report = detect(l.agent(), logs.path());
        let verdict = report["verdict"].as_str().unwrap_or_default().to_string();
        let codes = finding_codes(&report);
        let missing: Vec<_> = sc
            .findings
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .filter(|c| !codes.contains(c))
            .collect();
        if verdict != sc.verdict.as_str() || !missing.is_empty() {
            failures.push(format!(
                "{}: verdict {verdict} (want {}), findings {codes:?}, missing {missing:?}",
                sc.name,
                sc.verdict.as_str()
            ));
        }
        assert_eq!(report["platform"], l.made.platform.as_str(), "{}", sc.name);
        assert_eq!(report["mid_name"], "lab-mid-01", "{}", sc.name);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Each line of a lab log in the format that file has on a real MID.
fn assert_lines_parse(path: &Path, allowed: &[LineFormat]) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let mut n = 0;
    for line in text.lines() {
        if line.starts_with("***********UPGRADE MAIN LOGIN") {
            continue;
        }
        let parsed = logline::parse(line)
            .unwrap_or_else(|| panic!("{}: unparsed line {line:?}", path.display()));
        assert!(
            allowed.contains(&parsed.format),
            "{}: {:?} line {line:?}",
            path.display(),
            parsed.format
        );
        n += 1;
    }
    n
}

#[test]
fn every_written_line_parses_with_the_mid_parsers() {
    for sc in lab::scenarios() {
        let l = Lab::new(sc.name, 1.0);
        let logs = l.agent().join("logs");
        let agent_fmt = if sc.era.iso_agent_log() {
            LineFormat::AgentIso
        } else {
            LineFormat::AgentLegacy
        };
        let n = assert_lines_parse(&logs.join("agent0.log.0"), &[agent_fmt]);
        assert!(n > 1000, "{}: only {n} agent lines of history", sc.name);
        assert_lines_parse(
            &logs.join("wrapper.log"),
            &[LineFormat::Wrapper, LineFormat::Lptm],
        );
        if let Some(temp) = l.made.temp_dir.as_ref().filter(|t| t.exists()) {
            let up = temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log");
            if up.exists() {
                assert!(
                    assert_lines_parse(&up, &[LineFormat::Lptm]) > 5,
                    "{}",
                    sc.name
                );
            }
        }
    }
}

#[test]
fn layout_follows_a_real_install() {
    let l = Lab::new("half-deleted-lib", 1.0);
    let a = l.agent();
    for f in [
        "config.xml",
        "conf/wrapper.conf",
        "conf/wrapper-override.conf",
        "conf/wrapper-jvm.conf",
        "bin/mid.bat",
        "bin/InstallMID-NT.bat",
        "jre/release",
        "jre/lib/security/cacerts",
        "package/meta/mid-core.meta.properties",
        "package/meta/mid-jre.meta.properties",
    ] {
        assert!(a.join(f).is_file(), "missing {f}");
    }
    assert!(
        !a.join("work/mid.pid").exists(),
        "no pid file after a crash"
    );
    let config = std::fs::read_to_string(a.join("config.xml")).unwrap();
    assert!(config.contains(r#"name="mid.instance.password" secure="true" value="encrypted:"#));
    let over = std::fs::read_to_string(a.join("conf/wrapper-override.conf")).unwrap();
    assert!(over.contains("wrapper.name=snc_mid_lab-mid-01"));
    assert!(over.contains("wrapper.displayname=ServiceNow MID Server_lab-mid-01"));
    assert!(over.contains("wrapper.ntservice.password="));
    // Pre-Rome: the temp folder is `<13 digits>-0` outside the agent, inside the lab.
    let temp = l.made.temp_dir.clone().unwrap();
    let name = temp.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.len() == 15 && name.ends_with("-0") && name[..13].chars().all(|c| c.is_ascii_digit()),
        "{name}"
    );
    assert!(temp.starts_with(l.root()) && !temp.starts_with(a));
    for f in [
        "upgrade-wrapper/bin/glide-dist-upgrade.bat",
        "upgrade-wrapper/bin/wrapper-windows-x86-64.exe",
        "upgrade-wrapper/conf/wrapper.conf",
        "upgrade-wrapper/logs/glide-dist-upgrade.log",
        "agent/lib/mid.jar",
    ] {
        assert!(temp.join(f).is_file(), "missing temp/{f}");
    }
    let marker = format!("Added marker `{}` to upgrade marker file.", temp.display());
    let log = std::fs::read_to_string(a.join("logs/agent0.log.0")).unwrap();
    assert!(log.contains(&marker));
    let jars = std::fs::read_dir(a.join("lib")).unwrap().count();
    assert!(
        jars > 0 && jars < 12,
        "lib should be mostly gone: {jars} files"
    );
    let report = detect(a, l.root());
    assert_eq!(
        serde_json::from_value::<LibState>(report["lib"].clone()).unwrap(),
        LibState::Partial
    );
    assert!(
        report["target_version"]
            .as_str()
            .unwrap()
            .starts_with("orlando-")
    );
}

#[test]
fn create_refuses_a_non_empty_folder_and_unknown_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "precious").unwrap();
    let err = lab::create("healthy", dir.path(), &lab::CreateOptions::default()).unwrap_err();
    assert!(format!("{err:#}").contains("not empty"), "{err:#}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("keep.txt")).unwrap(),
        "precious"
    );
    let out = Command::new(bin())
        .arg("--log-file")
        .arg(dir.path().join("cli.log"))
        .args(["lab", "create", "file-lock-timeout"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    let fresh = dir.path().join("fresh");
    let err = lab::create("no-such-scenario", &fresh, &lab::CreateOptions::default()).unwrap_err();
    assert!(format!("{err:#}").contains("lab list"), "{err:#}");
}

#[test]
fn log_mb_grows_rotated_history_that_detect_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .env("MIDRESCUE_LAB_LOG_LIMIT", "2000000")
        .arg("--log-file")
        .arg(dir.path().join("cli.log"))
        .args(["lab", "create", "rerun-fails-again"])
        .arg(dir.path().join("lab"))
        .args(["--log-mb", "9"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logs = dir.path().join("lab/agent/logs");
    let mut total = 0;
    for n in 0..5 {
        let len = std::fs::metadata(logs.join(format!("agent0.log.{n}")))
            .unwrap()
            .len();
        assert!(len <= 2_000_000, "agent0.log.{n} is {len} bytes");
        total += len;
    }
    assert!(total > 8_000_000, "history is only {total} bytes");
    let report = detect(&dir.path().join("lab/agent"), dir.path());
    assert_eq!(report["verdict"], "crashed_upgrade");
    lab::stop(&dir.path().join("lab")).unwrap();
}

#[test]
fn lab_list_names_every_scenario() {
    let out = Command::new(bin())
        .args(["--log-file", "/dev/null", "lab", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for sc in lab::scenarios() {
        assert!(
            text.contains(sc.name) && text.contains(sc.summary),
            "{}",
            sc.name
        );
        assert!(
            lab::training_text(sc.name).len() > 400,
            "{} training text",
            sc.name
        );
    }
}

#[test]
fn upgrade_service_conflict_is_read_not_reinstalled() {
    let l = Lab::new("upgrade-service-conflict", 1.0);
    let a = l.agent();
    let log = std::fs::read_to_string(a.join("logs/agent0.log.0")).unwrap();
    assert!(log.contains("Bootstrapping upgrade."));
    assert!(log.contains("Gobbled: ERROR | wrapperm | "));
    assert!(log.contains(
        "The ServiceNow Platform Distribution Upgrade (lab-mid-01) service is already started with status: START_PENDING"
    ));
    assert!(!log.contains("Added marker"), "the upgrade never ran");
    let report = detect(a, l.root());
    assert_eq!(report["verdict"], "stopped");
    assert_eq!(
        serde_json::from_value::<LibState>(report["lib"].clone()).unwrap(),
        LibState::Intact
    );
    let codes = finding_codes(&report);
    for bad in ["temp_folder_missing", "upgrade_failed", "lib_incomplete"] {
        assert!(!codes.contains(&bad.to_string()), "{bad} in {codes:?}");
    }
    let ev = &report["findings"][0]["evidence"][0];
    assert!(ev["line"].as_u64().unwrap() > 1000, "{ev}");
    assert!(lab::training_text("upgrade-service-conflict").contains("Read before you reinstall"));
    // Re-running the upgrade by hand hits the same refusal: the other MID still holds it.
    let out = Command::new(bin())
        .args(lab::sim::base_args(l.root(), lab::SimTarget::Script))
        .arg("start")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("service is already started with status: START_PENDING"),
        "{out:?}"
    );
    // Nothing was replaced by it either.
    let report = detect(a, l.root());
    assert_eq!(report["verdict"], "stopped");
}
