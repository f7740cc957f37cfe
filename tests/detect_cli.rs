//! `midrescue detect` as a user runs it: exit codes, JSON schema, no secret in any output, and
//! the install left exactly as it was.

mod common_mid;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common_mid::*;
use midrescue::platform::Platform;
use sha2::{Digest, Sha256};

const CANARY: &str = "CANARY-s3cr3t-9f2e";

fn midrescue(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run midrescue")
}

/// Path → (sha256 of content or link target, mode, mtime) of every entry, symlinks not followed.
/// On Windows, the read-only flag stands for the mode.
fn tree_state(root: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.expect("walk");
        let meta = e.path().symlink_metadata().expect("meta");
        let content = if meta.is_file() {
            format!(
                "{:x}",
                Sha256::digest(std::fs::read(e.path()).expect("read"))
            )
        } else if meta.file_type().is_symlink() {
            std::fs::read_link(e.path())
                .expect("link")
                .display()
                .to_string()
        } else {
            String::from("dir")
        };
        m.insert(
            e.path().display().to_string(),
            format!("{content} {}", mode_and_mtime(&meta)),
        );
    }
    m
}

#[cfg(unix)]
fn mode_and_mtime(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!("{:o} {}.{}", meta.mode(), meta.mtime(), meta.mtime_nsec())
}

#[cfg(not(unix))]
fn mode_and_mtime(meta: &std::fs::Metadata) -> String {
    let mtime = meta.modified().expect("mtime");
    format!("ro={} {mtime:?}", meta.permissions().readonly())
}

fn crashed_fixture(platform: Platform) -> (MidFixture, std::path::PathBuf) {
    let f = MidFixture::new(platform);
    let temp = f.temp_folder("1569035472492-0", &["INFO   | jvm 1    | 2019/09/21 16:30:47.500 | C:\\x\\agent\\lib\\mid.jar cannot be deleted: (The process cannot access the file because it is being used by another process)"]);
    f.agent_log(0, &legacy_upgrade_lines(&f.marker_text(&temp)));
    (f, temp)
}

#[test]
fn json_schema_and_exit_code() {
    let (f, temp) = crashed_fixture(Platform::Windows);
    let out = midrescue(&[
        "detect",
        "--agent-dir",
        f.agent.parent().unwrap().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["agent_dir"], f.agent.display().to_string());
    assert_eq!(v["platform"], "windows");
    assert_eq!(v["verdict"], "crashed_upgrade");
    assert_eq!(v["lib"], "intact");
    assert_eq!(v["mid_name"], "mid-prod-1");
    assert_eq!(v["installed_version"], OLD);
    assert_eq!(v["target_version"], NEW);
    for k in [
        "name",
        "display_name",
        "state",
        "start_type",
        "upgrade_process_running",
    ] {
        assert!(v["service"].get(k).is_some(), "service.{k}");
    }
    let u = &v["upgrade"];
    assert_eq!(u["temp_dir"], temp.display().to_string());
    assert_eq!(u["temp_dir_source"], "marker");
    assert_eq!(u["script_exists"], true);
    assert_eq!(u["marker_line"]["line"], 10);
    for k in [
        "script",
        "upgrade_log",
        "started_at",
        "wrapper_conf",
        "wrapper_exe",
    ] {
        assert!(u.get(k).is_some(), "upgrade.{k}");
    }
    assert!(Path::new(u["script"].as_str().unwrap()).is_absolute());
    let f0 = &v["findings"][0];
    assert_eq!(f0["code"], "file_locked");
    assert_eq!(f0["severity"], "error");
    assert_eq!(f0["evidence"][0]["line"], 1);
}

#[test]
fn readable_report_says_verdict_first() {
    let (f, _) = crashed_fixture(Platform::Windows);
    let out = midrescue(&["detect", "--agent-dir", f.agent.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("CRASHED UPGRADE: "), "{text}");
    assert!(text.contains("Do NOT start the MID service"));
    assert!(text.contains("[ERROR] file_locked"));
    assert!(text.contains("glide-dist-upgrade.log:1"));
}

#[test]
fn not_a_mid_server_exits_1() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("notes.txt"), "x").unwrap();
    let out = midrescue(&["detect", "--agent-dir", d.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is not a MID Server install"));
    let out = midrescue(&[
        "detect",
        "--agent-dir",
        d.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "not_a_mid_server");
    let out = midrescue(&[
        "detect",
        "--agent-dir",
        d.path().join("missing").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn no_secret_in_any_output() {
    for platform in [Platform::Windows, Platform::Linux] {
        let (f, _) = crashed_fixture(platform);
        f.write(
            "config.xml",
            &format!(
                "<parameters>\n<parameter name=\"url\" value=\"https://acme.service-now.com/\"/>\n\
                 <parameter name=\"name\" value=\"mid-prod-1\"/>\n\
                 <parameter name=\"mid.instance.password\" value=\"{CANARY}\" encrypt=\"true\"/>\n\
                 <parameter name=\"mid.proxy.password\" value=\"{CANARY}\"/>\n\
                 <parameter secure=\"true\" value=\"{CANARY}\" name=\"ext.vault.hashicorp.token\"/>\n</parameters>\n"
            ),
        );
        f.write(
            "conf/wrapper-override.conf",
            &format!("wrapper.name=snc_mid_prod1\nwrapper.ntservice.password={CANARY}\nwrapper.java.additional.1=-Djavax.net.ssl.trustStorePassword={CANARY}\n"),
        );
        // A failure line that also carries a secret becomes evidence: it must be masked.
        let mut lines = legacy_upgrade_lines("C:\\gone\\1-0");
        lines.push(legacy(
            40,
            "AutoUpgrade.3600",
            &format!("SEVERE *** ERROR *** Upgrade failed. password={CANARY}"),
        ));
        f.agent_log(0, &lines);
        for json in [false, true] {
            let mut args = vec!["detect", "--agent-dir", f.agent.to_str().unwrap()];
            if json {
                args.push("--json");
            }
            let out = midrescue(&args);
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                all.contains("upgrade_failed") || all.contains("Upgrade failed"),
                "{all}"
            );
            assert!(
                !all.contains(CANARY),
                "secret leaked ({platform}, json={json}):\n{all}"
            );
        }
    }
}

#[test]
fn detect_changes_nothing() {
    let (f, temp) = crashed_fixture(Platform::Linux);
    symlink(&f.agent, &f.path("work/loop")).unwrap();
    let before_agent = tree_state(&f.agent);
    let before_temp = tree_state(&temp);
    for args in [vec!["detect"], vec!["detect", "--json"]] {
        let mut a = args.clone();
        a.extend(["--agent-dir", f.agent.to_str().unwrap()]);
        let out = midrescue(&a);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(tree_state(&f.agent), before_agent);
    assert_eq!(tree_state(&temp), before_temp);
}
