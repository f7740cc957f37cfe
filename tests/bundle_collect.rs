//! Support bundle, end to end on fixture installs built from real MID log lines
//! (mid-server.md): contents, zip validity (unzip -t, Python zipfile, our own reader), manifest
//! hashes, secret canaries, hostile files, limits, and the install left untouched.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use midrescue::bundle::{self, CollectOptions, ExtraFile, Progress, SystemFacts};
use midrescue::mid::report::*;
use midrescue::platform::Platform;
use midrescue::platform::service::{ServiceState, ServiceStatus};

const TEMP_ID: &str = "1569035472492-0";
const MID_NAME: &str = "mid-prod-01";
const URL: &str = "https://acme.service-now.com/";

/// Every secret planted in the fixture. None may appear anywhere in the bundle.
const CANARIES: &[&str] = &[
    "CANARY-instpass-1",
    "CANARY-proxypass-2",
    "CANARY-encrypted-3",
    "CANARY-vaulttoken-4",
    "CANARY-clientid-5",
    "CANARY-commented-6",
    "CANARY-ntservice-7",
    "CANARY-truststore-8",
    "CANARY-basicauth-9",
    "CANARY-bearer-10",
    "CANARY-urluser-11",
    "CANARY-urlpass-12",
    "CANARY-pemline-13",
    "CANARY-pemline-14",
    "CANARY-pairpass-15",
    "CANARY-pairtoken-16",
    "CANARY-apikey-17",
    "CANARY-jsonpass-18",
    "CANARY-upgradeconf-19",
    "CANARY-journal-20",
    "CANARY-keystore-21",
    "CANARY-cacerts-22",
    "CANARY-package-23",
    "CANARY-evidence-24",
    "CANARY-procline-25",
    "CANARY-user-rule-26",
    "CANARY-secretkv-27",
    "CANARY-jfr-28",
];

fn write(p: &Path, content: impl AsRef<[u8]>) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// A Linux MID install with a crashed Rome+ upgrade, secrets everywhere support files live.
fn build_install(root: &Path) -> PathBuf {
    let a = root.join("mid").join("agent");
    write(
        &a.join("config.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <parameter name="url" value="{URL}"/>
    <parameter name="mid.instance.username" value="mid_user"/>
    <parameter value="CANARY-instpass-1" name="mid.instance.password" encrypt="true"/>
    <parameter name="mid.proxy.password" secure="true" value="CANARY-proxypass-2"/>
    <parameter name="glide.mid.autoupgrade.proxy_password" secure="true" value="encrypted:CANARY-encrypted-3"/>
    <parameter name="mid.ext.cred.hashicorp.vault.token" value="CANARY-vaulttoken-4"/>
    <parameter name="ext.cred.azure.client_id" value="CANARY-clientid-5"/>
    <!-- <parameter name="mid.proxy.password" value="CANARY-commented-6"/> -->
    <parameter name="name" value="{MID_NAME}"/>
    <parameter name="mid_sys_id" value="0123456789abcdef0123456789abcdef"/>
    <parameter name="threads.max" value="25"/>
</parameters>
"#
        ),
    );
    write(
        &a.join("conf/wrapper-override.conf"),
        "wrapper.name=mid\nwrapper.displayname=ServiceNow MID Server\n\
         wrapper.ntservice.password=CANARY-ntservice-7\n\
         wrapper.java.additional.20=-Djavax.net.ssl.trustStorePassword=CANARY-truststore-8\n\
         wrapper.java.maxmemory=1024\n",
    );
    write(
        &a.join("conf/wrapper.conf"),
        "wrapper.java.command=jre/bin/java\r\nwrapper.logfile=logs/wrapper.log\r\n",
    );
    write(
        &a.join("package/meta/mid-core.meta.properties"),
        "#Thu, 02 Jan 2020 17:48:12 -0800\npackage.filename=mid-core.tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048.universal.universal.zip\n",
    );
    write(
        &a.join("bin/mid.shconf_override"),
        "APP_NAME=mid\nAPP_LONG_NAME=ServiceNow_MID_Server\nRUN_AS_USER=mid\n",
    );
    write(&a.join("bin/mid.sh"), "#!/bin/sh\n");
    write(&a.join("lib/mid.jar"), b"PK\x03\x04jar");
    write(&a.join("keystore/agent_keystore.jks"), "CANARY-keystore-21");
    write(&a.join("security/agent_keystore"), "CANARY-keystore-21");
    write(&a.join("jre/lib/security/cacerts"), "CANARY-cacerts-22");
    write(
        &a.join("package/incoming/mid-core.utah-12-21-2022__patch1-02-15-2023_02-22-2023_1907.universal.universal.zip"),
        "CANARY-package-23",
    );
    write(&a.join("logs/agent0.log.0.jfr"), "CANARY-jfr-28");
    let agent_log = [
        "10/22/18 17:50:01 (101) AutoUpgrade.3600 Current packages:",
        "10/22/18 17:50:01 (102) AutoUpgrade.3600 Missing: [mid-core.utah-12-21-2022__patch1-02-15-2023_02-22-2023_1907.universal.universal.zip]",
        "10/22/18 17:50:02 (103) ECCSender.1 Sending with header Authorization: Basic CANARY-basicauth-9",
        "10/22/18 17:50:03 (104) ECCSender.1 retry Authorization: Bearer CANARY-bearer-10 status=401",
        "10/22/18 17:50:04 (105) MIDServer proxy https://CANARY-urluser-11:CANARY-urlpass-12@proxy.acme.example:3128/ configured",
        "10/22/18 17:50:05 (106) MIDServer certificate dump follows",
        "-----BEGIN PRIVATE KEY-----",
        "CANARY-pemline-13",
        "CANARY-pemline-14",
        "-----END PRIVATE KEY-----",
        "10/22/18 17:50:06 (107) MIDServer jdbc probe user=sa password=CANARY-pairpass-15 host=db01",
        "10/22/18 17:50:07 (108) RefreshMonitor.65 refresh token=CANARY-pairtoken-16&x=1",
        "10/22/18 17:50:08 (109) ECCSender.1 x-sn-apikey: CANARY-apikey-17",
        r#"10/22/18 17:50:09 (110) ECCSender.1 payload {"user":"admin","password":"CANARY-jsonpass-18"}"#,
        "10/22/18 17:50:10 (111) ECCSender.1 vault client_secret=CANARY-secretkv-27",
        "10/22/18 17:50:11 (112) ECCSender.1 ticket ACME-SECRET-CANARY-user-rule-26 sent",
        "10/22/18 17:56:10 (895) AutoUpgrade.3600 Setting mid status to Upgrading",
        "10/22/18 17:56:12 (897) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade.",
        &format!("10/22/18 17:56:13 (898) AutoUpgrade.3600 Added marker `{{TEMP}}/{TEMP_ID}` to upgrade marker file."),
        "10/22/18 17:56:14 (899) MIDServer MID Server stopped",
    ]
    .join("\n");
    let temp = a.join("work/upgrade_temp").join(TEMP_ID);
    write(
        &a.join("logs/agent0.log.0"),
        agent_log.replace("{TEMP}", &a.join("work/upgrade_temp").display().to_string()) + "\n",
    );
    write(
        &a.join("logs/agent0.log.1"),
        "2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server\n",
    );
    write(
        &a.join("logs/wrapper.log"),
        "2019/12/15 00:35:29 | --> Wrapper Started as Service\r\n\
         2019/12/15 00:35:34 | Java Service Wrapper Standard Edition 64-bit 3.5.36\r\n\
         2019/12/15 00:37:34 | Startup failed: Timed out waiting for a signal from the JVM.\r\n",
    );
    write(
        &a.join("logs/dist-upgrade.log"),
        b"INFO   | jvm 1    | 2019/09/21 16:30:47.114 | bytes \xff\xfe not utf-8\n",
    );
    write(
        &temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log"),
        "INFO   | jvm 1    | 2019/09/21 16:30:47.114 | Sep 21, 2019 4:30:47 PM com.snc.dist.mid_upgrade.UpgradeMain deleteJreDirIfSourced\n\
         INFO   | jvm 1    | 2019/09/21 16:30:47.130 | INFO: Removing previous MID JRE at `/opt/servicenow/mid/agent/jre`.\n\
         INFO   | jvm 1    | 2019/09/21 16:30:47.817 | WARNING: java.io.IOException: Unable to delete directory /opt/servicenow/mid/agent/jre/bin.\n\
         INFO   | jvm 1    | 2019/09/21 16:30:48.001 | SEVERE: com.snc.dist.mid_upgrade.UpgradeException: java.io.FileNotFoundException: /opt/servicenow/mid/agent/bin/wrapper-linux-x86-64 (Access is denied)\n",
    );
    write(
        &temp.join("upgrade-wrapper/conf/wrapper.conf"),
        "wrapper.java.additional.1=-Dupgrade.proxy.password=CANARY-upgradeconf-19\nwrapper.startup.timeout=300\n",
    );
    write(
        &temp.join("upgrade-wrapper/bin/glide-dist-upgrade.sh"),
        "#!/bin/sh\n",
    );
    write(
        &temp.join("agent/jre/lib/security/cacerts"),
        "CANARY-cacerts-22",
    );
    a
}

fn report_for(agent: &Path) -> DetectReport {
    let temp = agent.join("work/upgrade_temp").join(TEMP_ID);
    let log = agent.join("logs/agent0.log.0");
    DetectReport {
        schema_version: SCHEMA_VERSION,
        agent_dir: agent.to_path_buf(),
        platform: Platform::Linux,
        mid_name: Some(MID_NAME.into()),
        instance_url: Some(URL.into()),
        installed_version: Some("tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048".into()),
        target_version: Some("utah-12-21-2022__patch1-02-15-2023_02-22-2023_1907".into()),
        service: ServiceReport {
            name: Some("mid".into()),
            display_name: None,
            state: ServiceState::Stopped,
            start_type: None,
            upgrade_process_running: false,
        },
        upgrade: Some(UpgradeReport {
            temp_dir: Some(temp.clone()),
            temp_dir_source: Some(TempDirSource::Marker),
            marker_line: Some(Evidence {
                file: log.clone(),
                line: 19,
                text: format!(
                    "10/22/18 17:56:13 (898) AutoUpgrade.3600 Added marker `{}` to upgrade marker file.",
                    temp.display()
                ),
            }),
            script: Some(temp.join("upgrade-wrapper/bin/glide-dist-upgrade.sh")),
            script_exists: true,
            script_executable: Some(false),
            wrapper_conf: Some(temp.join("upgrade-wrapper/conf/wrapper.conf")),
            wrapper_exe: None,
            upgrade_log: Some(temp.join("upgrade-wrapper/logs/glide-dist-upgrade.log")),
            started_at: Some("2018-10-22T17:56:12Z".into()),
        }),
        lib: LibState::Partial,
        verdict: Verdict::CrashedUpgrade,
        findings: vec![Finding {
            code: FindingCode::AccessDenied,
            severity: Severity::Error,
            message: "The upgrade could not replace a file (Access is denied).".into(),
            evidence: vec![Evidence {
                file: log,
                line: 7,
                // Masked to the end of the line by its rule: diagnosis.json must stay valid JSON.
                text: "wrapper.ntservice.password=CANARY-evidence-24".into(),
            }],
        }],
        elevated: None,
        temp_dir_attribution: None,
        unattributed_temp_dirs: Vec::new(),
    }
}

fn facts() -> SystemFacts {
    SystemFacts {
        os: "linux x86_64".into(),
        host: "mid-host-1".into(),
        service: Some(ServiceStatus {
            name: Some("mid".into()),
            display_name: Some("ServiceNow MID Server".into()),
            state: ServiceState::Stopped,
            start_type: None,
            raw: "ServiceNow MID Server (installed with systemd) is not running.\n".into(),
            note: None,
        }),
        processes: "4242\t/opt/mid/agent/jre/bin/java -Dmid.proxy.password=CANARY-procline-25 com.service_now.mid.Main\n".into(),
        unit_file: None,
        notes: vec![],
    }
}

/// Path → (sha256 of content, mtime) for every file under `root`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (String, std::time::SystemTime)> {
    use sha2::Digest;
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            let h = format!("{:x}", sha2::Sha256::digest(&bytes));
            let m = e.metadata().unwrap().modified().unwrap();
            (e.path().to_path_buf(), (h, m))
        })
        .collect()
}

/// All entries of a zip, decompressed, read with the zip crate.
fn entries(zip_path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated, "{name}");
        let mut v = Vec::new();
        f.read_to_end(&mut v).unwrap();
        out.insert(name, v);
    }
    out
}

fn manifest(e: &BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(&e["manifest.json"]).unwrap()
}

/// The manifest lists every entry but itself, each hash matches, and nothing else is listed.
fn check_manifest_hashes(e: &BTreeMap<String, Vec<u8>>) {
    use sha2::Digest;
    let m = manifest(e);
    let listed = m["entries"].as_array().unwrap();
    assert_eq!(listed.len() + 1, e.len());
    for ent in listed {
        let p = ent["zip_path"].as_str().unwrap();
        let data = e
            .get(p)
            .unwrap_or_else(|| panic!("{p} listed but not in the zip"));
        assert_eq!(
            ent["sha256"].as_str().unwrap(),
            format!("{:x}", sha2::Sha256::digest(data)),
            "{p}"
        );
        assert_eq!(ent["size"].as_u64().unwrap(), data.len() as u64, "{p}");
    }
}

fn external_zip_checks(zip: &Path) {
    match Command::new("unzip").arg("-tq").arg(zip).output() {
        Ok(o) => assert!(
            o.status.success(),
            "unzip -t: {}",
            String::from_utf8_lossy(&o.stdout)
        ),
        Err(_) => {
            eprintln!("NOTE: unzip is not installed; `unzip -t` check skipped (CI installs it)")
        }
    }
    match Command::new("python3")
        .args(["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); r=z.testzip(); print(r); sys.exit(0 if r is None else 1)"])
        .arg(zip)
        .output()
    {
        Ok(o) => assert!(o.status.success(), "python zipfile: {}", String::from_utf8_lossy(&o.stdout)),
        Err(_) => eprintln!("NOTE: python3 is not installed; zipfile check skipped (CI installs it)"),
    }
}

#[test]
fn full_bundle_is_valid_complete_and_secret_free() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let journal = d.path().join("journal.txt");
    write(
        &journal,
        "04:10 operator confirmed re-run; password=CANARY-journal-20\n",
    );
    let rules = d.path().join("rules.txt");
    write(&rules, "# site rules\nACME-SECRET-\\S+\n");
    let before = snapshot(d.path().join("mid").as_path());

    let out = d.path().join("out");
    let mut opts = CollectOptions::new(&agent, &out);
    opts.extra_rules_file = Some(rules);
    opts.extra_files.push(ExtraFile {
        source: journal,
        zip_path: "midrescue/journal.txt".into(),
    });
    let mut events = Vec::new();
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |p| {
        events.push(p)
    })
    .unwrap();

    // Name, sibling checksum, no partial left.
    let name = s.path.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("midsupport-mid-prod-01-mid-host-1-") && name.ends_with("Z.zip"),
        "{name}"
    );
    let sha_file = std::fs::read_to_string(out.join(format!("{name}.sha256"))).unwrap();
    assert_eq!(sha_file, format!("{}  {name}\n", s.sha256));
    assert!(std::fs::read_dir(&out).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    }));
    assert_eq!(s.size, std::fs::metadata(&s.path).unwrap().len());

    external_zip_checks(&s.path);
    let e = entries(&s.path);
    check_manifest_hashes(&e);
    assert_eq!(s.files as usize, e.len());

    // Contents and paths.
    for p in [
        "agent/config.xml",
        "agent/conf/wrapper.conf",
        "agent/conf/wrapper-override.conf",
        "agent/package/meta/mid-core.meta.properties",
        "agent/bin/mid.shconf_override",
        "agent/logs/agent0.log.0",
        "agent/logs/agent0.log.1",
        "agent/logs/wrapper.log",
        "agent/logs/dist-upgrade.log",
        &format!("upgrade_temp/{TEMP_ID}/upgrade-wrapper/logs/glide-dist-upgrade.log"),
        &format!("upgrade_temp/{TEMP_ID}/upgrade-wrapper/conf/wrapper.conf"),
        "listings/agent.txt",
        &format!("listings/upgrade_temp-{TEMP_ID}.txt"),
        "listings/package_incoming.txt",
        "system.txt",
        "diagnosis.json",
        "SUMMARY.md",
        "manifest.json",
        "midrescue/journal.txt",
    ] {
        assert!(
            e.contains_key(p),
            "missing {p}; have {:?}",
            e.keys().collect::<Vec<_>>()
        );
    }
    for p in e.keys() {
        let l = p.to_ascii_lowercase();
        assert!(
            !(l.contains("keystore")
                || l.contains("security/")
                || l.contains("/jre/")
                || l.ends_with(".jks")
                || l.ends_with(".zip")
                || l.ends_with(".jfr")
                || l.ends_with("cacerts")),
            "{p} must never be collected"
        );
    }

    // No canary anywhere; MID name, URL and the lines around secrets intact.
    for (p, data) in &e {
        let text = String::from_utf8_lossy(data);
        for c in CANARIES {
            assert!(!text.contains(c), "{c} leaked into {p}:\n{text}");
        }
    }
    let config = String::from_utf8_lossy(&e["agent/config.xml"]).to_string();
    assert!(config.contains(&format!(r#"<parameter name="url" value="{URL}"/>"#)));
    assert!(config.contains(&format!(r#"<parameter name="name" value="{MID_NAME}"/>"#)));
    assert!(config.contains("0123456789abcdef0123456789abcdef"));
    assert!(config.contains(r#"value="mid_user""#));
    let log = String::from_utf8_lossy(&e["agent/logs/agent0.log.0"]).to_string();
    assert!(log.contains("AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade."));
    assert!(log.contains("@proxy.acme.example:3128/ configured"));
    assert!(log.contains(
        "-----BEGIN PRIVATE KEY-----\n***REDACTED***\n***REDACTED***\n-----END PRIVATE KEY-----\n"
    ));
    assert!(log.contains("host=db01"));
    assert!(!log.contains("ACME-SECRET-"));
    assert_eq!(log.lines().count(), 20);
    let wrapper = &e["agent/logs/wrapper.log"];
    assert!(wrapper.windows(2).any(|w| w == b"\r\n"), "CRLF kept");
    assert!(
        e["agent/logs/dist-upgrade.log"]
            .windows(2)
            .any(|w| w == b"\xff\xfe"),
        "invalid UTF-8 kept"
    );

    // Listings: names, never the contents of secret folders.
    let listing = String::from_utf8_lossy(&e["listings/agent.txt"]).to_string();
    assert!(listing.contains("logs/agent0.log.0\t"));
    assert!(listing.contains("keystore/…\t-\t-\tnot listed"));
    assert!(!listing.contains("agent_keystore.jks"));
    let incoming = String::from_utf8_lossy(&e["listings/package_incoming.txt"]).to_string();
    assert!(incoming.contains(
        "mid-core.utah-12-21-2022__patch1-02-15-2023_02-22-2023_1907.universal.universal.zip\t17\t"
    ));

    // Manifest: per-rule and per-file counts; SUMMARY: verdict, finding, timeline, skipped.
    let m = manifest(&e);
    let total: u64 = m["redactions"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, s.redactions);
    assert!(
        m["redactions"]["config_xml_secret_parameter"]
            .as_u64()
            .unwrap()
            >= 6
    );
    assert_eq!(m["redactions"]["pem_block"], 1);
    assert_eq!(m["redactions"]["user_rule_line_2"], 1);
    let log_entry = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["zip_path"] == "agent/logs/agent0.log.0")
        .unwrap();
    assert_eq!(log_entry["redactions"]["url_userinfo"], 1);
    assert_eq!(log_entry["truncated"], false);
    assert!(
        log_entry["source"]
            .as_str()
            .unwrap()
            .ends_with("agent0.log.0")
    );
    let summary = String::from_utf8_lossy(&e["SUMMARY.md"]).to_string();
    assert!(summary.contains("`crashed_upgrade`"));
    assert!(summary.contains("access_denied") || summary.contains("AccessDenied"));
    assert!(summary.contains("Stopping MID server. Bootstrapping upgrade."));
    assert!(summary.contains("UpgradeException"));
    assert!(
        summary.contains("`` wrapper.ntservice.password=***REDACTED*** ``"),
        "{summary}"
    );
    assert!(
        summary.contains("agent0.log.0.jfr"),
        "skipped files are named:\n{summary}"
    );
    let diag: serde_json::Value = serde_json::from_slice(&e["diagnosis.json"]).unwrap();
    assert_eq!(diag["mid_name"], MID_NAME);
    assert_eq!(
        diag["findings"][0]["evidence"][0]["text"],
        "wrapper.ntservice.password=***REDACTED***"
    );
    let system = String::from_utf8_lossy(&e["system.txt"]).to_string();
    assert!(system.contains("is not running.") && system.contains("com.service_now.mid.Main"));
    assert!(system.contains("agent folder:"));

    // Progress: planned, one per file, writing, done.
    assert!(matches!(events.first(), Some(Progress::Planned { .. })));
    assert_eq!(events.last(), Some(&Progress::Done));
    let files = events
        .iter()
        .filter(|p| matches!(p, Progress::File { .. }))
        .count();
    let Some(Progress::Planned { files: planned, .. }) = events.first() else {
        unreachable!()
    };
    assert_eq!(files as u64, *planned);

    // The install is byte-identical, mtimes included.
    assert_eq!(before, snapshot(d.path().join("mid").as_path()));

    // A second run never overwrites: a new name.
    let s2 = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap();
    assert_ne!(s2.path, s.path);
    assert!(s.path.exists() && s2.path.exists());
}

#[cfg(unix)]
#[test]
fn hostile_files_never_hang_or_abort() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let logs = agent.join("logs");
    let fifo = logs.join("agent0.log.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink(logs.join("gone.log"), logs.join("dangling.log")).unwrap();
    let doomed = logs.join("agent0.log.5");
    write(&doomed, "10/22/18 17:00:00 (000) MIDServer old line\n");
    let growing = logs.join("agent0.log.2");
    let grown_from = "10/22/18 17:10:00 (000) MIDServer first line\n";
    write(&growing, grown_from);
    let locked = logs.join("agent0.log.6");
    write(&locked, "10/22/18 17:20:00 (000) MIDServer unreadable\n");
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
    }
    // Over budget: a 3 MiB log (keeps its end from a line start) and a 50 MB-class single line,
    // scaled to the budget; a config file over budget is recorded, never cut.
    let budget = 1 << 20;
    let mut big = String::new();
    let mut i = 0u64;
    while big.len() < 3 << 20 {
        big.push_str(&format!(
            "2022-10-21T13:08:58.330+0200 INFO (ECCSender.1) [Sender:88] line {i:08}\r\n"
        ));
        i += 1;
    }
    write(&logs.join("agent0.log.3"), &big);
    write(&logs.join("agent0.log.4"), vec![b'x'; 3 << 20]);
    write(
        &agent.join("conf/wrapper-huge.conf"),
        vec![b'#'; (1 << 20) + 1],
    );

    let out = d.path().join("out");
    let mut opts = CollectOptions::new(&agent, &out);
    opts.max_file_bytes = budget;
    let mut hooked = false;
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |p| {
        // After planning, before any read: delete one file, grow another.
        if matches!(p, Progress::Planned { .. }) && !hooked {
            hooked = true;
            std::fs::remove_file(&doomed).unwrap();
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&growing)
                .unwrap();
            std::io::Write::write_all(
                &mut f,
                b"10/22/18 17:10:01 (000) MIDServer appended later\n",
            )
            .unwrap();
        }
    })
    .unwrap();
    assert!(hooked);
    external_zip_checks(&s.path);
    let e = entries(&s.path);
    check_manifest_hashes(&e);
    let m = manifest(&e);
    let errors: Vec<(String, String)> = m["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["file"].as_str().unwrap().to_string(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |name: &str| {
        errors
            .iter()
            .find(|(f, _)| f.ends_with(name))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{name} not in errors: {errors:?}"))
    };
    assert!(reason("agent0.log.fifo").contains("FIFO"));
    assert!(reason("dangling.log").contains("dangling"));
    assert!(reason("agent0.log.5").contains("vanished"));
    assert!(reason("wrapper-huge.conf").contains("never cut"));
    if !root {
        assert!(reason("agent0.log.6").contains("permission denied"));
    } else {
        eprintln!(
            "NOTE: running as root: chmod 000 cannot stop root; the open-error path is covered by a unit test"
        );
    }
    // Growing file: read up to the size seen at the start.
    assert_eq!(e["agent/logs/agent0.log.2"], grown_from.as_bytes());
    let ent = |p: &str| {
        m["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["zip_path"] == p)
            .unwrap()
            .clone()
    };
    assert!(
        ent("agent/logs/agent0.log.2")["note"]
            .as_str()
            .unwrap()
            .contains("grew")
    );
    // Truncated: the end kept, starting at a line start, at most the budget.
    let tail = &e["agent/logs/agent0.log.3"];
    assert!(tail.len() as u64 <= budget && tail.len() as u64 > budget - 200);
    assert!(tail.starts_with(b"2022-10-21T13:08:58.330+0200 INFO"));
    assert!(big.as_bytes().ends_with(tail));
    assert_eq!(ent("agent/logs/agent0.log.3")["truncated"], true);
    assert_eq!(e["agent/logs/agent0.log.4"].len() as u64, budget);
    assert!(s.truncated.contains(&"agent/logs/agent0.log.3".to_string()));
    assert!(
        s.skipped
            .iter()
            .any(|(f, _)| f.ends_with("agent0.log.fifo"))
    );
    // The rest of the bundle is complete.
    assert!(e.contains_key("agent/logs/agent0.log.0") && e.contains_key("SUMMARY.md"));
    if !root {
        std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
    }
}

#[test]
fn refuses_output_inside_install_or_temp_folder() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    for bad in [
        agent.join("logs/bundles"),
        agent.join("work/upgrade_temp").join(TEMP_ID),
    ] {
        let opts = CollectOptions::new(&agent, &bad);
        let err = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap_err();
        assert!(
            err.to_string().contains("refusing to write the bundle"),
            "{err}"
        );
        assert!(!agent.join("logs/bundles").exists());
    }
}

#[test]
fn since_drops_old_rotated_logs_only() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 86400);
    for n in ["agent0.log.1", "agent0.log.0"] {
        let f = std::fs::File::options()
            .write(true)
            .open(agent.join("logs").join(n))
            .unwrap();
        f.set_modified(old).unwrap();
    }
    let mut opts = CollectOptions::new(&agent, d.path().join("out"));
    opts.since = Some((chrono::Utc::now() - chrono::Duration::days(10)).date_naive());
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap();
    let e = entries(&s.path);
    assert!(
        e.contains_key("agent/logs/agent0.log.0"),
        "the current log is always kept"
    );
    assert!(!e.contains_key("agent/logs/agent0.log.1"));
    assert!(
        s.skipped
            .iter()
            .any(|(f, r)| f.ends_with("agent0.log.1") && r.contains("--since"))
    );
}

#[test]
fn cancel_leaves_nothing_behind() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let out = d.path().join("out");
    let mut opts = CollectOptions::new(&agent, &out);
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    opts.cancel = Some(flag.clone());
    let err = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |p| {
        if matches!(p, Progress::Planned { .. }) {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    })
    .unwrap_err();
    assert!(err.to_string().contains("cancelled"));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

#[test]
fn cli_collect_json_on_a_fixture_install() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let out = d.path().join("bundles");
    let o = Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .arg("collect")
        .arg("--agent-dir")
        .arg(agent.parent().unwrap())
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .arg("--log-file")
        .arg(d.path().join("midrescue.log"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "stderr: {stderr}");
    assert!(stderr.contains("100%"), "progress line on stderr: {stderr}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let path = PathBuf::from(v["path"].as_str().unwrap());
    assert!(path.starts_with(&out) && path.exists());
    assert!(v["redactions"].as_u64().unwrap() > 10);
    let e = entries(&path);
    let diag: serde_json::Value = serde_json::from_slice(&e["diagnosis.json"]).unwrap();
    assert_eq!(diag["mid_name"], MID_NAME);
    for (p, data) in &e {
        // No rules file here, so the site-specific canary is not a secret to us.
        for c in CANARIES.iter().filter(|c| !c.contains("user-rule")) {
            assert!(
                !String::from_utf8_lossy(data).contains(c),
                "{c} leaked into {p}"
            );
        }
    }

    // A wrong --since is a usage error (2), and nothing is written.
    let o = Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .args(["collect", "--since", "last week", "--agent-dir"])
        .arg(&agent)
        .arg("--out")
        .arg(d.path().join("none"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!d.path().join("none").exists());
}

/// Ctrl-C while `collect` runs: it stops, removes the unfinished zip, says so and exits 130
/// (before, the process died and left a `.zip.partial` behind).
#[cfg(unix)]
#[test]
fn ctrl_c_during_collect_leaves_nothing_and_exits_130() {
    use std::io::BufRead;
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    // Enough files that the collection is still running when the signal comes.
    let many = agent.join("logs").join("many");
    std::fs::create_dir_all(&many).unwrap();
    let line = "2026-11-21T11:13:26.591-0500 INFO (FileSyncer.1) [ECCSender:561] Enqueuing\n";
    for i in 0..30_000 {
        std::fs::write(many.join(format!("probe-{i}.log")), line.repeat(20)).unwrap();
    }
    let out = d.path().join("bundles");
    let mut child = Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .arg("collect")
        .arg("--agent-dir")
        .arg(&agent)
        .arg("--out")
        .arg(&out)
        .arg("--log-file")
        .arg(d.path().join("midrescue.log"))
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // The first progress line: planning is done and the files are being read.
    while !seen.contains(" files") {
        let mut l = String::new();
        assert!(err.read_line(&mut l).unwrap() > 0, "no progress: {seen}");
        seen.push_str(&l);
    }
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "stderr: {seen}{rest}");
    assert!(
        rest.contains("interrupted; no bundle was written"),
        "stderr: {seen}{rest}"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn gigantic_single_line_streams_in_pieces() {
    // A 50 MB log with no newline at all (a runaway stack dump): bundled whole, redacted, never
    // held as one line.
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let mut big =
        b"2022-10-21T13:08:58.330+0200 INFO (MIDServer) dump password=CANARY-giant-1 ".to_vec();
    big.resize(50_000_000, b'a');
    big.extend_from_slice(b" token=CANARY-giant-2");
    write(&agent.join("logs/agent0.log.7"), &big);
    let opts = CollectOptions::new(&agent, d.path().join("out"));
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap();
    let e = entries(&s.path);
    check_manifest_hashes(&e);
    let got = &e["agent/logs/agent0.log.7"];
    let text = String::from_utf8_lossy(got);
    assert!(!text.contains("CANARY-giant-1") && !text.contains("CANARY-giant-2"));
    assert!(text.starts_with(
        "2022-10-21T13:08:58.330+0200 INFO (MIDServer) dump password=***REDACTED*** aaaa"
    ));
    assert!(text.ends_with(" token=***REDACTED***"));
    assert!(!s.truncated.iter().any(|t| t.ends_with("agent0.log.7")));
}

/// The manifest's `errors` as (file, reason).
#[cfg(unix)]
fn manifest_errors(m: &serde_json::Value) -> Vec<(String, String)> {
    m["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["file"].as_str().unwrap().to_string(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Everything in the zip (names and contents) as one text.
#[cfg(unix)]
fn whole_zip_text(e: &BTreeMap<String, Vec<u8>>) -> String {
    let mut all = String::new();
    for (name, data) in e {
        all.push_str(name);
        all.push('\n');
        all.push_str(&String::from_utf8_lossy(data));
    }
    all
}

/// A folder outside the install holding a "secret" file, like `/etc` with `shadow`.
#[cfg(unix)]
fn outside_secret(root: &Path, name: &str) -> PathBuf {
    let out = root.join(name);
    write(
        &out.join("shadow"),
        "root:CANARY-outside-shadow:19000:0:99999:7:::\n",
    );
    write(&out.join("sub/deep.log"), "CANARY-outside-deep\n");
    out
}

#[cfg(unix)]
#[test]
fn collect_never_follows_a_link_anywhere() {
    use std::os::unix::fs::symlink;
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let etc = outside_secret(d.path(), "etc");
    // `agent/logs -> /etc`: the whole logs folder is a link.
    let real_logs = agent.join("logs");
    std::fs::rename(&real_logs, agent.join("logs.real")).unwrap();
    symlink(&etc, &real_logs).unwrap();
    // A linked file and a linked folder in the conf folder, a linked upgrade-wrapper/logs,
    // a linked folder in work/upgrade_temp, and `package/incoming -> /etc`.
    symlink(etc.join("shadow"), agent.join("conf/shadow.conf")).unwrap();
    symlink(&etc, agent.join("conf/etc.conf")).unwrap();
    let temp = agent.join("work/upgrade_temp").join(TEMP_ID);
    let wl = temp.join("upgrade-wrapper/logs");
    std::fs::remove_dir_all(&wl).unwrap();
    symlink(&etc, &wl).unwrap();
    symlink(&etc, agent.join("work/upgrade_temp/9999999999999-0")).unwrap();
    std::fs::remove_dir_all(agent.join("package/incoming")).unwrap();
    symlink(&etc, agent.join("package/incoming")).unwrap();
    // `bin -> /etc` would make `bin/mid.shconf` reach outside.
    std::fs::rename(agent.join("bin"), agent.join("bin.real")).unwrap();
    symlink(&etc, agent.join("bin")).unwrap();
    write(&etc.join("mid.shconf"), "CANARY-outside-shconf\n");

    let opts = CollectOptions::new(&agent, d.path().join("out"));
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap();
    let e = entries(&s.path);
    check_manifest_hashes(&e);
    let all = whole_zip_text(&e);
    for c in [
        "CANARY-outside-shadow",
        "CANARY-outside-deep",
        "CANARY-outside-shconf",
    ] {
        assert!(!all.contains(c), "{c} reached the bundle");
    }
    assert!(
        !e.keys()
            .any(|k| k.contains("shadow") || k.contains("deep.log"))
    );
    // Not even the names of the files behind the links are listed (the links themselves are,
    // marked as not followed).
    for l in e.keys().filter(|k| k.starts_with("listings/")) {
        let t = String::from_utf8_lossy(&e[l]);
        for behind in ["logs/shadow", "logs/sub", "deep.log", "etc.conf/"] {
            assert!(!t.contains(behind), "{behind} in {l}:\n{t}");
        }
    }
    let listing = String::from_utf8_lossy(&e["listings/agent.txt"]).to_string();
    assert!(listing.contains("logs\t0\t"), "{listing}");
    assert!(listing.contains("symlink (not followed)"));
    let m = manifest(&e);
    let errors = manifest_errors(&m);
    let refused = |suffix: &str| {
        errors.iter().any(|(f, r)| {
            f.ends_with(suffix) && r.contains("symbolic link") && r.contains("not followed")
        })
    };
    for suffix in [
        "agent/logs",
        "conf/shadow.conf",
        "conf/etc.conf",
        "upgrade-wrapper/logs",
        "package/incoming",
        "agent/bin",
    ] {
        assert!(refused(suffix), "{suffix} not refused: {errors:?}");
    }
    // The linked folder in work/upgrade_temp is not taken for a temp folder.
    assert!(!e.keys().any(|k| k.contains("9999999999999")));
    // What is not behind a link is still collected.
    assert!(e.contains_key("agent/config.xml"));
    assert!(e.contains_key(&format!(
        "upgrade_temp/{TEMP_ID}/upgrade-wrapper/conf/wrapper.conf"
    )));
}

#[cfg(unix)]
#[test]
fn a_marker_naming_a_folder_outside_is_neither_listed_nor_read() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let root_home = outside_secret(d.path(), "root");
    write(
        &root_home.join("upgrade-wrapper/logs/x.log"),
        "CANARY-outside-wrapper\n",
    );
    // A digits-shaped folder without upgrade-wrapper is not proven either.
    let fake = d.path().join("tmp/1234567890123-0");
    write(&fake.join("notes.txt"), "CANARY-outside-fake\n");
    for named in [root_home, fake] {
        let mut report = report_for(&agent);
        let u = report.upgrade.as_mut().unwrap();
        u.temp_dir = Some(named.clone());
        u.marker_line.as_mut().unwrap().text =
            format!("Added marker `{}` to upgrade marker file.", named.display());
        let opts = CollectOptions::new(&agent, d.path().join("out"));
        let s = bundle::collect(&opts, &report, &facts(), &mut |_| {}).unwrap();
        let e = entries(&s.path);
        let all = whole_zip_text(&e);
        for c in [
            "CANARY-outside-shadow",
            "CANARY-outside-deep",
            "CANARY-outside-wrapper",
            "CANARY-outside-fake",
        ] {
            assert!(!all.contains(c), "{c} reached the bundle");
        }
        for l in e.keys().filter(|k| k.starts_with("listings/")) {
            let t = String::from_utf8_lossy(&e[l]);
            assert!(
                !t.contains("shadow") && !t.contains("notes.txt"),
                "{l}:\n{t}"
            );
        }
        let errors = manifest_errors(&manifest(&e));
        let name = named.display().to_string();
        assert!(
            errors
                .iter()
                .any(|(f, r)| *f == name && r.contains("not proven")),
            "{errors:?}"
        );
        // The install's own temp folder is still collected.
        assert!(e.contains_key(&format!("listings/upgrade_temp-{TEMP_ID}.txt")));
    }
}

#[cfg(unix)]
#[test]
fn hostile_file_names_become_safe_entry_names() {
    use std::os::unix::ffi::OsStrExt;
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let logs = agent.join("logs");
    let hostile: &[&[u8]] = &[
        b"..\\..\\..\\evil.log",
        b"esc\x1b[31mred\x07bell.log",
        b"new\nline\r.log",
        b"..",
        b"a:b*c?.log",
    ];
    for (i, n) in hostile.iter().enumerate() {
        if *n == b".." {
            continue;
        }
        let p = logs.join(std::ffi::OsStr::from_bytes(n));
        std::fs::write(&p, format!("line {i}\n")).unwrap();
    }
    // A folder whose name is dots-and-backslashes, with a file inside.
    let dir = logs.join(std::ffi::OsStr::from_bytes(b"..\\sub"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("in.log"), "inside\n").unwrap();

    let opts = CollectOptions::new(&agent, d.path().join("out"));
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap();
    external_zip_checks(&s.path);
    let e = entries(&s.path);
    check_manifest_hashes(&e);
    for name in e.keys() {
        assert!(
            !name.contains('\\') && !name.chars().any(|c| c.is_control()),
            "unsafe entry name {name:?}"
        );
        assert!(
            !name
                .split('/')
                .any(|c| c == ".." || c == "." || c.is_empty()),
            "{name:?}"
        );
        assert!(!name.contains(".."), "{name:?}");
        assert!(
            !name.contains(['*', '?', ':', '<', '>', '|', '"']),
            "{name:?}"
        );
    }
    // Every hostile file is in (nothing silently dropped), its content intact.
    let logs_in: Vec<&String> = e.keys().filter(|k| k.starts_with("agent/logs/")).collect();
    for i in [0, 1, 2, 4] {
        let want = format!("line {i}\n");
        assert!(
            e.iter()
                .any(|(k, v)| k.starts_with("agent/logs/") && v == want.as_bytes()),
            "file {i} missing: {logs_in:?}"
        );
    }
    assert!(e.values().any(|v| v == b"inside\n"));
    // The manifest keeps the original names, escaped: no raw control character anywhere.
    let raw = String::from_utf8(e["manifest.json"].clone()).unwrap();
    let m: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let sources: Vec<String> = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["source"].as_str().map(String::from))
        .collect();
    assert!(
        sources
            .iter()
            .any(|s| s.ends_with("esc\\x1b[31mred\\x07bell.log")),
        "{sources:?}"
    );
    assert!(sources.iter().any(|s| s.ends_with("new\\x0aline\\x0d.log")));
    assert!(sources.iter().any(|s| s.ends_with("..\\..\\..\\evil.log")));
    for s in &sources {
        assert!(!s.chars().any(|c| c.is_control()), "{s:?}");
    }
    for doc in ["SUMMARY.md", "listings/agent.txt"] {
        let t = String::from_utf8_lossy(&e[doc]);
        assert!(!t.contains('\x1b') && !t.contains('\x07'), "{doc}");
    }
    assert!(String::from_utf8_lossy(&e["listings/agent.txt"]).contains("esc\\x1b[31mred"));
}

#[test]
fn listings_are_bounded() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let many = agent.join("work/many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..(bundle::plan::LISTING_MAX_ENTRIES + 50) {
        std::fs::File::create(many.join(format!("f{i:06}"))).unwrap();
    }
    let opts = CollectOptions::new(&agent, d.path().join("out"));
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap();
    let e = entries(&s.path);
    let listing = String::from_utf8_lossy(&e["listings/agent.txt"]).to_string();
    assert!(listing.contains("listing limit reached"), "no limit note");
    let rows = listing.lines().filter(|l| !l.starts_with('#')).count();
    assert!(
        rows <= bundle::plan::LISTING_MAX_ENTRIES + 10,
        "{rows} rows"
    );
    assert!(listing.len() <= bundle::plan::LISTING_MAX_BYTES + 4096);
}

/// `unzip -p` of one entry, when unzip is installed.
fn unzip_entry(zip: &Path, name: &str) -> Option<Vec<u8>> {
    let o = Command::new("unzip")
        .arg("-p")
        .arg(zip)
        .arg(name)
        .output()
        .ok()?;
    assert!(o.status.success(), "unzip -p {name}");
    Some(o.stdout)
}

/// Python's zipfile reading of one entry, when python3 is installed.
fn python_entry(zip: &Path, name: &str) -> Option<Vec<u8>> {
    let o = Command::new("python3")
        .args([
            "-c",
            "import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))",
        ])
        .arg(zip)
        .arg(name)
        .output()
        .ok()?;
    assert!(
        o.status.success(),
        "python zipfile {name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Some(o.stdout)
}

/// A log of `len` bytes of plain 100-byte lines (nothing to redact), the last line shorter.
fn plain_log(len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 100);
    let mut i = 0u64;
    while v.len() < len {
        let line =
            format!("2026-11-21T10:00:00.000-0500 INFO (Worker-Standard) [Probe:12] line {i:012} ");
        v.extend_from_slice(line.as_bytes());
        v.resize(v.len() + 99 - line.len(), b'.');
        v.push(b'\n');
        i += 1;
    }
    v.truncate(len);
    v
}

#[test]
fn multi_block_entries_round_trip_through_unzip_and_python() {
    // Blocks of at most 1 MiB, whole reads queued as blocks of their own: 3 MiB ends with an
    // empty final block; 100-byte lines put every block boundary inside a line; 2.5 MiB ends
    // with a partial block.
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    let exact = plain_log(3 << 20);
    let partial = plain_log((5 << 20) / 2);
    assert_ne!((1usize << 20) % 100, 0);
    write(&agent.join("logs/agent0.log.8"), &exact);
    write(&agent.join("logs/agent0.log.9"), &partial);
    let opts = CollectOptions::new(&agent, d.path().join("out"));
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |_| {}).unwrap();
    external_zip_checks(&s.path);
    let e = entries(&s.path);
    check_manifest_hashes(&e);
    let m = manifest(&e);
    for (name, src) in [
        ("agent/logs/agent0.log.8", &exact),
        ("agent/logs/agent0.log.9", &partial),
    ] {
        assert!(e[name] == *src, "{name} differs (zip crate)");
        match unzip_entry(&s.path, name) {
            Some(b) => assert!(b == *src, "{name} differs (unzip)"),
            None => eprintln!("NOTE: unzip is not installed; check skipped (CI installs it)"),
        }
        match python_entry(&s.path, name) {
            Some(b) => assert!(b == *src, "{name} differs (python zipfile)"),
            None => eprintln!("NOTE: python3 is not installed; check skipped (CI installs it)"),
        }
        let ent = m["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["zip_path"] == name)
            .unwrap();
        use sha2::Digest;
        assert_eq!(
            ent["sha256"].as_str().unwrap(),
            format!("{:x}", sha2::Sha256::digest(src))
        );
        assert_eq!(ent["truncated"], false);
    }
    // 7-Zip, when installed (not required).
    match Command::new("7z").arg("t").arg(&s.path).output() {
        Ok(o) => assert!(
            o.status.success(),
            "7z t: {}",
            String::from_utf8_lossy(&o.stdout)
        ),
        Err(_) => eprintln!("NOTE: 7z is not installed (apt-get install p7zip-full); 7z t skipped"),
    }
}

#[test]
fn progress_moves_inside_a_big_file() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    write(&agent.join("logs/wrapper.log.9"), plain_log(24 << 20));
    let opts = CollectOptions::new(&agent, d.path().join("out"));
    let mut events = Vec::new();
    bundle::collect(&opts, &report_for(&agent), &facts(), &mut |p| {
        events.push(p)
    })
    .unwrap();
    let mut last = 0;
    let mut inside = 0;
    let mut total = 0;
    for p in &events {
        match p {
            Progress::Planned { bytes, .. } => total = *bytes,
            Progress::File { bytes_done, .. } => {
                assert!(*bytes_done >= last);
                last = *bytes_done;
            }
            Progress::Bytes {
                bytes_done, path, ..
            } => {
                assert!(*bytes_done >= last);
                last = *bytes_done;
                // Events while the big file is the one being written.
                if path == "agent/logs/wrapper.log.9" {
                    inside += 1;
                }
            }
            _ => {}
        }
    }
    assert!(
        inside >= 8,
        "{inside} progress events inside the 24 MiB file"
    );
    assert_eq!(last, total);
}

#[test]
fn completeness_shrunk_nul_padded_utf16_and_giant_line() {
    let d = tempfile::tempdir().unwrap();
    let agent = build_install(d.path());
    // Shrinks after planning, before it is read through.
    let shrinking = agent.join("logs/agent0.log.8");
    write(&shrinking, plain_log(300_000));
    // Leading NUL padding, as left by a crash.
    let mut padded = vec![0u8; 100_000];
    padded.extend_from_slice(b"2026-11-21T10:00:00.000-0500 INFO (MIDServer) after the crash\n");
    write(&agent.join("logs/agent0.log.9"), &padded);
    // UTF-16LE config.xml with a BOM.
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<parameters>\n    <parameter name=\"url\" value=\"{URL}\"/>\n    <parameter name=\"mid.instance.password\" value=\"CANARY-utf16-30\"/>\n</parameters>\n"
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    write(&agent.join("config.xml"), &utf16);
    // Real lines, one 3 MiB line, more real lines, over a 1 MiB budget.
    let mut giant = Vec::new();
    for i in 0..2000 {
        giant.extend_from_slice(
            format!("2026-11-21T09:00:00.000-0500 INFO early line {i:04}\n").as_bytes(),
        );
    }
    giant.extend(vec![b'g'; 3 << 20]);
    giant.push(b'\n');
    for i in 0..100 {
        giant.extend_from_slice(
            format!("2026-11-21T11:00:00.000-0500 INFO late line {i:04}\n").as_bytes(),
        );
    }
    write(&agent.join("logs/wrapper.log.7"), &giant);

    let mut opts = CollectOptions::new(&agent, d.path().join("out"));
    opts.max_file_bytes = 1 << 20;
    let mut shrunk = false;
    let s = bundle::collect(&opts, &report_for(&agent), &facts(), &mut |p| {
        if matches!(p, Progress::Planned { .. }) && !shrunk {
            std::fs::write(&shrinking, plain_log(1000)).unwrap();
            shrunk = true;
        }
    })
    .unwrap();
    external_zip_checks(&s.path);
    let e = entries(&s.path);
    check_manifest_hashes(&e);
    let m = manifest(&e);
    let ent = |p: &str| {
        m["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["zip_path"] == p)
            .unwrap_or_else(|| panic!("{p} not in the manifest: {m}"))
            .clone()
    };
    let note = |p: &str| ent(p)["note"].as_str().unwrap_or("").to_string();

    // Shrunk: what was there, marked.
    assert_eq!(e["agent/logs/agent0.log.8"], plain_log(1000));
    assert_eq!(ent("agent/logs/agent0.log.8")["truncated"], true);
    assert!(
        note("agent/logs/agent0.log.8").contains("shrank"),
        "{}",
        note("agent/logs/agent0.log.8")
    );
    assert!(s.truncated.contains(&"agent/logs/agent0.log.8".to_string()));

    // NUL padding: bundled without it.
    assert_eq!(
        e["agent/logs/agent0.log.9"],
        b"2026-11-21T10:00:00.000-0500 INFO (MIDServer) after the crash\n"
    );
    assert!(note("agent/logs/agent0.log.9").contains("100000 leading NUL bytes"));

    // UTF-16 config: UTF-8 now, redacted like any other.
    let config = String::from_utf8(e["agent/config.xml"].clone()).unwrap();
    assert!(
        config.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{config}"
    );
    assert!(config.contains(&format!("<parameter name=\"url\" value=\"{URL}\"/>")));
    assert!(!config.contains("CANARY-utf16-30"), "{config}");
    assert!(note("agent/config.xml").contains("UTF-16LE"));

    // Giant line: capped; the early lines before it still fit the budget.
    let w = String::from_utf8_lossy(&e["agent/logs/wrapper.log.7"]).to_string();
    assert!(
        w.starts_with("2026-11-21T09:00:00.000-0500 INFO early line"),
        "{} {}",
        &w[..200],
        ent("agent/logs/wrapper.log.7")
    );
    assert!(w.contains("early line 1999\n"));
    assert!(w.contains("more bytes of this line left out]\n"));
    assert!(w.ends_with("late line 0099\n"));
    assert!(w.len() <= 1 << 20);
    assert_eq!(ent("agent/logs/wrapper.log.7")["truncated"], true);
}

mod common_mid;

/// A process list with one MID process, counting its calls.
struct OnePs(std::sync::atomic::AtomicUsize);

impl midrescue::platform::exec::Exec for OnePs {
    fn run(
        &self,
        _spec: &midrescue::platform::exec::CommandSpec,
    ) -> std::io::Result<midrescue::platform::exec::CommandOutput> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(midrescue::platform::exec::CommandOutput {
            status: Some(0),
            stdout:
                "  1 /sbin/init\n4711 /opt/mid/agent/jre/bin/java -cp x com.service_now.mid.Main\n"
                    .into(),
            stderr: String::new(),
        })
    }
}

#[test]
fn system_txt_holds_the_service_answer_and_processes_gathered_during_the_bundle() {
    use midrescue::recovery::support::{BundleRequest, build_bundle};
    let f = common_mid::MidFixture::new(Platform::Linux);
    let host = common_mid::host(Platform::Linux, ServiceState::Stopped, None);
    let report = host.detect(&f.agent).unwrap();
    let install = host.install(report);
    let out = f.root.path().join("out");
    let exec = OnePs(Default::default());
    let s = build_bundle(
        BundleRequest {
            install: &install,
            options: CollectOptions::new(&f.agent, &out),
            after_run: None,
        },
        &exec,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(exec.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    let text = String::from_utf8(entries(&s.path)["system.txt"].clone()).unwrap();
    let section = |title: &str| {
        let at = text
            .find(title)
            .unwrap_or_else(|| panic!("{title} in {text}"));
        text[at..]
            .lines()
            .skip(1)
            .take(6)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        section("== MID service ==").contains("snc_mid_prod1"),
        "{text}"
    );
    assert!(section("== MID service ==").contains("stopped"), "{text}");
    let procs = section("== Running java / wrapper processes ==");
    assert!(
        procs.contains("4711\t/opt/mid/agent/jre/bin/java"),
        "{text}"
    );
    assert!(!procs.contains("/sbin/init"), "{text}");
}
