//! The canary test: secrets of every shape the security report listed, and shapes beyond it,
//! planted in config.xml, the confs, all three logs (agent0.log.0, wrapper.log, the upgrade
//! temp folder's glide-dist-upgrade.log) and file names. None may survive in the zip
//! (`collect`), `detect --json` or `detect`'s text, all run as the real binary; what support
//! needs (MID name, instance host, mid_sys_id, versions, paths, ordinary log lines) must.
//! The live faces (wizard panes, `resume` lines and JSON) call `redact::redact_line` and
//! `redact::LiveRedactor`: tested here on the same lines.

mod common_mid;
mod lab_common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use common_mid::*;
use midrescue::platform::Platform;

/// One-line shapes: (text planted in a log line, the secret that must vanish).
const LINE_SHAPES: &[(&str, &str)] = &[
    // Named in the report.
    (
        "session restored JSESSIONID=CANARY-lg-jsession; Path=/",
        "CANARY-lg-jsession",
    ),
    ("cookie glide_session_store=CANARY-lg-gss", "CANARY-lg-gss"),
    ("aws client AKIACANARY000AWS0001 loaded", "CANARY000AWS0001"),
    (
        "url jdbc:oracle:thin:scott/CANARY-lg-oracle@db01:1521:orcl",
        "CANARY-lg-oracle",
    ),
    (
        "exec curl -u admin:CANARY-lg-curl https://x.example/",
        "CANARY-lg-curl",
    ),
    ("sending token Bearer CANARY-lg-bearer", "CANARY-lg-bearer"),
    ("password: CANARY-lg-colon", "CANARY-lg-colon"),
    ("password=CANARY lg spaces here", "lg spaces"),
    ("password=CANARY-lg-semi;more<angle>", "CANARY-lg-semi"),
    ("password=x;CANARY-lg-aftersemi", "CANARY-lg-aftersemi"),
    ("password=<CANARY-lg-angle>", "CANARY-lg-angle"),
    (
        "password=\"CANARY-lg-unterminated quote",
        "CANARY-lg-unterminated",
    ),
    (
        "got <password>CANARY-lg-xmlelem</password> back",
        "CANARY-lg-xmlelem",
    ),
    (
        "read <parameter name=\"mid.proxy.password\" value=\"CANARY-lg-xmlparam\"/> ok",
        "CANARY-lg-xmlparam",
    ),
    (
        "GET /oauth?client_secret%3DCANARY-lg-urlenc%26grant%3Dx",
        "CANARY-lg-urlenc",
    ),
    ("login with password CANARY-lg-withpw", "CANARY-lg-withpw"),
    ("snmpwalk -v2c -c CANARY-lg-snmp 10.0.0.1", "CANARY-lg-snmp"),
    (
        "snmp community string CANARY-lg-commstr set",
        "CANARY-lg-commstr",
    ),
    ("snmp.community=CANARY-lg-commkv", "CANARY-lg-commkv"),
    // Beyond the report.
    (
        "header Basic Q0FOQVJZLWxnLWJhc2lj sent",
        "Q0FOQVJZLWxnLWJhc2lj",
    ),
    (
        "Authorization: Basic Q0FOQVJZLWxnLWF1dGg=",
        "Q0FOQVJZLWxnLWF1dGg",
    ),
    ("sn_token=CANARY-lg-sntoken", "CANARY-lg-sntoken"),
    ("apikey: CANARY-lg-apikey", "CANARY-lg-apikey"),
    ("x-sn-apikey: CANARY-lg-xsnapikey", "CANARY-lg-xsnapikey"),
    (
        "proxy http://pxuser:CANARY-lg-proxypw@proxy.acme.example:3128/ configured",
        "CANARY-lg-proxypw",
    ),
    (
        "proxy=pxuser:CANARY-lg-bareproxy@proxy.acme.example:3128",
        "CANARY-lg-bareproxy",
    ),
    ("secret_key=CANARY-lg-secretkey", "CANARY-lg-secretkey"),
    (
        "encryption key: Q0FOQVJZLWxnLWI2NGtleQ==",
        "Q0FOQVJZLWxnLWI2NGtleQ",
    ),
    (
        "signing_key=Q0FOQVJZLWxnLXNpZ25pbmc=",
        "Q0FOQVJZLWxnLXNpZ25pbmc",
    ),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJDQU5BUlkiOiJqd3QifQ.CANARYjwtsig",
        "eyJDQU5BUlkiOiJqd3QifQ",
    ),
    ("mysql -u root -pCANARY-lg-mysql prod", "CANARY-lg-mysql"),
    ("Proxy-Authorization: NTLM CANARY-lg-ntlm", "CANARY-lg-ntlm"),
    (
        "AccountKey=CANARY-lg-azure;EndpointSuffix=core.windows.net",
        "CANARY-lg-azure",
    ),
    (
        "body {\"client_secret\": \"CANARY-lg-clientsecret\", \"name\": \"keep\"}",
        "CANARY-lg-clientsecret",
    ),
    ("set PGPASSWORD=CANARY-lg-pg", "CANARY-lg-pg"),
    (
        "args -Dmid.proxy.password=CANARY-lg-dprop -Xmx1g",
        "CANARY-lg-dprop",
    ),
    ("private_key=CANARY-lg-privkey", "CANARY-lg-privkey"),
    (
        "keytool -storepass CANARY-lg-storepass -list",
        "CANARY-lg-storepass",
    ),
    ("sshpass -p CANARY-lg-sshpass ssh host", "CANARY-lg-sshpass"),
    (
        "Cookie: glide_user_route=CANARY-lg-cookie",
        "CANARY-lg-cookie",
    ),
    ("X-UserToken: CANARY-lg-usertoken", "CANARY-lg-usertoken"),
    (
        "gh ghp_CANARYlggithub0123456789abcdefghijkl used",
        "CANARYlggithub",
    ),
    (
        "java --password CANARY-lg-flag -jar x.jar",
        "CANARY-lg-flag",
    ),
    (
        "the api key is CANARY-lg-apikeyphrase",
        "CANARY-lg-apikeyphrase",
    ),
    ("value=encrypted:CANARYlgencrypted== x", "CANARYlgencrypted"),
    (
        "ldap://cn=admin:CANARY-lg-ldap@ldap.acme.example",
        "CANARY-lg-ldap",
    ),
    ("SAS ?sv=2020&sig=CANARY-lg-sas&se=2030", "CANARY-lg-sas"),
    (
        "mid.instance.password: CANARY-lg-midcolon",
        "CANARY-lg-midcolon",
    ),
    ("/password:CANARY-lg-winflag /user:bob", "CANARY-lg-winflag"),
];

/// Shapes over several lines: (lines, secret).
const MULTI_LINE_SHAPES: &[(&[&str], &str)] = &[
    (
        &["payload {\"password\":", "   \"CANARY-ml-jsonnext\" }"],
        "CANARY-ml-jsonnext",
    ),
    (
        &[
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "CANARY-ml-pem-1",
            "CANARY-ml-pem-2",
            "-----END OPENSSH PRIVATE KEY-----",
        ],
        "CANARY-ml-pem",
    ),
    (
        &["<password>", "  CANARY-ml-xmlnext", "</password>"],
        "CANARY-ml-xmlnext",
    ),
];

const CONFIG_SECRETS: &[&str] = &[
    "CANARY-cx-gt",
    "CANARY-cx-upper",
    "CANARY-cx-element",
    "CANARY-cx-dotpass",
    "CANARY-cx-community",
    "CANARY-cx-sntoken",
    "CANARY-cx-apikey",
    "CANARY-cx-proxyurl",
    "CANARY-cx-commented",
];

const CONF_SECRETS: &[&str] = &[
    "CANARY-cf-dpass",
    "CANARY-cf-dpin",
    "CANARY-cf-appparam",
    "CANARY-cf-envpass",
    "CANARY-cf-envpass2",
    "CANARY-cf-ntservice",
    "cf quoted",
    "CANARY-cf-upgradeconf",
];

const FILE_NAME_SECRETS: &[&str] = &[
    "CANARY-fn-1",
    "CANARY00FNAM0001",
    "CANARY-fn-3",
    "CANARY-fn-4",
];

const SYS_ID: &str = "0123456789abcdef0123456789abcdef";

fn all_secrets() -> Vec<&'static str> {
    let mut v: Vec<&str> = LINE_SHAPES.iter().map(|(_, s)| *s).collect();
    v.extend(MULTI_LINE_SHAPES.iter().map(|(_, s)| *s));
    v.extend(CONFIG_SECRETS);
    v.extend(CONF_SECRETS);
    v.extend(FILE_NAME_SECRETS);
    v
}

fn upgrade_log_line(i: usize, msg: &str) -> String {
    format!(
        "INFO   | jvm 1    | 2019/09/21 16:30:{:02}.000 | {msg}",
        i % 60
    )
}

/// A crashed Linux install with every secret planted.
fn planted() -> MidFixture {
    let f = MidFixture::new(Platform::Linux);
    f.write(
        "config.xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <parameter name="url" value="https://acme.service-now.com/"/>
    <parameter name="mid.instance.username" value="mid_user"/>
    <parameter name="mid.instance.password" description="a > b" value="CANARY-cx-gt"/>
    <PARAMETER NAME="MID.PROXY.PASSWORD" VALUE="CANARY-cx-upper"/>
    <password>CANARY-cx-element</password>
    <parameter name="mid.proxy.pass" value="CANARY-cx-dotpass"/>
    <parameter name="mid.snmp.community" value="CANARY-cx-community"/>
    <parameter name="mid.ext.sn_token" value="CANARY-cx-sntoken"/>
    <parameter name="mid.custom.apikey" value="CANARY-cx-apikey"/>
    <parameter name="mid.proxy.url" value="http://pxuser:CANARY-cx-proxyurl@proxy.acme.example:3128"/>
    <!-- <parameter name="mid.old.secret" value="CANARY-cx-commented"/> -->
    <parameter value="mid-prod-1" name="name"/>
    <parameter name="mid_sys_id" value="{SYS_ID}"/>
</parameters>
"#
        ),
    );
    f.write(
        "conf/wrapper-override.conf",
        "wrapper.name=snc_mid_prod1\nwrapper.displayname=ServiceNow MID Server_prod1\n\
         wrapper.ntservice.password=CANARY-cf-ntservice\n\
         wrapper.java.additional.5=-Dcom.snc.proxy.pass=CANARY-cf-dpass\n\
         wrapper.java.additional.6=-Djavax.net.ssl.keyStore.pin=CANARY-cf-dpin\n\
         wrapper.java.additional.7=-Dhttps.proxyPassword=\"CANARY cf quoted\"\n\
         set.MID_PROXY_PASS=CANARY-cf-envpass\n\
         wrapper.app.parameter.3=--password\n\
         wrapper.app.parameter.4=CANARY-cf-appparam\n\
         wrapper.app.parameter.5=-verbose\n",
    );
    f.write(
        "bin/mid.shconf_override",
        "APP_NAME=mid\nRUN_AS_USER=midserver\nMID_PROXY_PASS=CANARY-cf-envpass2\n",
    );
    let mut upgrade: Vec<String> = LINE_SHAPES
        .iter()
        .enumerate()
        .map(|(i, (l, _))| upgrade_log_line(i, l))
        .collect();
    upgrade.push(upgrade_log_line(
        59,
        "WARNING: java.io.IOException: Unable to delete directory /opt/servicenow/mid/agent/jre/bin.",
    ));
    let upgrade: Vec<&str> = upgrade.iter().map(String::as_str).collect();
    let temp = f.temp_folder("1569035472492-0", &upgrade);
    std::fs::write(
        temp.join("upgrade-wrapper/conf/wrapper.conf"),
        format!(
            "wrapper.app.parameter.2={}\nwrapper.java.additional.1=-Dupgrade.proxy.password=CANARY-cf-upgradeconf\n",
            f.agent.display()
        ),
    )
    .unwrap();
    let mut lines = legacy_upgrade_lines(&f.marker_text(&temp));
    for (i, (l, _)) in LINE_SHAPES.iter().enumerate() {
        lines.push(legacy(30 + (i as u32 % 29), "ECCSender.1", l));
    }
    for (ls, _) in MULTI_LINE_SHAPES {
        lines.push(legacy(59, "ECCSender.1", ls[0]));
        lines.extend(ls[1..].iter().map(|s| s.to_string()));
    }
    f.agent_log(0, &lines);
    let wrapper: Vec<String> = LINE_SHAPES
        .iter()
        .map(|(l, _)| format!("INFO   | jvm 1    | 2019/12/15 00:35:29 | {l}"))
        .collect();
    f.write("logs/wrapper.log", &(wrapper.join("\r\n") + "\r\n"));
    // Secret-looking file names, and names with escape bytes.
    f.write("logs/password=CANARY-fn-1.log", "ordinary line\n");
    f.write("logs/AKIACANARY00FNAM0001.log", "ordinary line\n");
    f.write("logs/token:CANARY-fn-3.log", "ordinary line\n");
    // Binary (NULs inside, not only a crash's leading NUL padding, which is bundled): skipped
    // while bundling, so only its name reaches `errors`/`skipped`.
    f.write_bytes(
        "logs/password=CANARY-fn-4.log",
        b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0binary\0\0\0",
    );
    f
}

fn midrescue(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run midrescue")
}

fn entries(zip_path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut v = Vec::new();
        f.read_to_end(&mut v).unwrap();
        out.insert(name, v);
    }
    out
}

fn assert_no_secret(what: &str, text: &str) {
    let leaked: Vec<&str> = all_secrets()
        .into_iter()
        .filter(|s| text.contains(s))
        .collect();
    assert!(leaked.is_empty(), "{what}: leaked {leaked:?}");
}

#[test]
fn no_planted_secret_survives_in_the_zip_and_support_facts_do() {
    let f = planted();
    let out = f.root.path().join("bundles");
    let o = midrescue(&[
        "collect".as_ref(),
        "--agent-dir".as_ref(),
        f.agent.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--json".as_ref(),
        "--log-file".as_ref(),
        f.root.path().join("midrescue.log").as_os_str(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_no_secret("collect --json", &stdout);
    assert_no_secret("collect stderr", &String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = entries(Path::new(v["path"].as_str().unwrap()));
    let mut all = String::new();
    for (name, data) in &e {
        all.push_str(name);
        all.push('\n');
        all.push_str(&String::from_utf8_lossy(data));
    }
    assert_no_secret("zip", &all);

    // Every planted file is in the bundle (so the check above is not vacuous)...
    for p in [
        "agent/config.xml",
        "agent/conf/wrapper-override.conf",
        "agent/bin/mid.shconf_override",
        "agent/logs/agent0.log.0",
        "agent/logs/wrapper.log",
        "upgrade_temp/1569035472492-0/upgrade-wrapper/logs/glide-dist-upgrade.log",
        "upgrade_temp/1569035472492-0/upgrade-wrapper/conf/wrapper.conf",
    ] {
        assert!(e.contains_key(p), "{p} missing: {:?}", e.keys());
    }
    let text = |p: &str| String::from_utf8_lossy(&e[p]).into_owned();
    let masks = |p: &str| text(p).matches("***REDACTED***").count();
    assert!(masks("agent/logs/agent0.log.0") >= LINE_SHAPES.len() + 3);
    assert!(masks("agent/logs/wrapper.log") >= LINE_SHAPES.len());
    assert!(masks("agent/config.xml") >= CONFIG_SECRETS.len());
    // ... the file names too, with their secrets masked in the entry names.
    let named: Vec<&String> = e
        .keys()
        .filter(|k| k.starts_with("agent/logs/") && k.contains("REDACTED"))
        .collect();
    assert_eq!(named.len(), 3, "{:?}", e.keys());
    let skipped = v["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|p| p[0].as_str().unwrap().contains("password=***REDACTED***")),
        "{skipped:?}"
    );

    // What support needs survives.
    let config = text("agent/config.xml");
    assert!(config.contains("value=\"mid-prod-1\" name=\"name\""));
    assert!(config.contains("https://acme.service-now.com/"));
    assert!(config.contains(SYS_ID));
    assert!(config.contains("proxy.acme.example:3128"));
    let conf = text("agent/conf/wrapper-override.conf");
    assert!(conf.contains("wrapper.displayname=ServiceNow MID Server_prod1"));
    assert!(conf.contains("wrapper.app.parameter.5=-verbose"));
    let log = text("agent/logs/agent0.log.0");
    assert!(log.contains("Stopping MID server. Bootstrapping upgrade."));
    assert!(log.contains("Successfully connected to instance: https://acme.service-now.com/"));
    assert!(log.contains(&format!("mid-core.{OLD}.universal.universal.zip")));
    assert!(log.contains(&format!("mid-core.{NEW}.universal.universal.zip")));
    assert!(log.contains("work/upgrade_temp/1569035472492-0"));
    assert!(log.contains("\"name\": \"keep\""));
    assert!(
        text("upgrade_temp/1569035472492-0/upgrade-wrapper/logs/glide-dist-upgrade.log")
            .contains("Unable to delete directory /opt/servicenow/mid/agent/jre/bin.")
    );
    let m: serde_json::Value = serde_json::from_slice(&e["manifest.json"]).unwrap();
    assert!(
        m["redactions"].as_object().unwrap().len() >= 15,
        "{}",
        m["redactions"]
    );
}

#[test]
fn no_planted_secret_survives_in_detect_json_or_text() {
    let f = planted();
    let json = midrescue(&[
        "detect".as_ref(),
        "--agent-dir".as_ref(),
        f.agent.as_os_str(),
        "--json".as_ref(),
    ]);
    let j = String::from_utf8_lossy(&json.stdout);
    assert_no_secret("detect --json", &j);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["mid_name"], "mid-prod-1");
    assert!(
        v["instance_url"]
            .as_str()
            .unwrap()
            .contains("acme.service-now.com")
    );
    assert_eq!(v["installed_version"], OLD);
    assert!(j.contains("1569035472492-0"));
    let text = midrescue(&[
        "detect".as_ref(),
        "--agent-dir".as_ref(),
        f.agent.as_os_str(),
    ]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert_no_secret("detect text", &t);
    assert!(t.contains("mid-prod-1"), "{t}");
}

/// Every shape as detect evidence: three lines per run (the most evidence lines kept per
/// finding), each a real `Access is denied` line of the upgrade log.
#[test]
fn every_shape_as_detect_evidence_is_masked() {
    for (batch, chunk) in LINE_SHAPES.chunks(3).enumerate() {
        let f = MidFixture::new(Platform::Linux);
        let lines: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, (l, _))| upgrade_log_line(i, &format!("SEVERE: {l} (Access is denied)")))
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let temp = f.temp_folder("1569035472492-0", &lines);
        f.agent_log(0, &legacy_upgrade_lines(&f.marker_text(&temp)));
        for json in [true, false] {
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "detect".as_ref(),
                "--agent-dir".as_ref(),
                f.agent.as_os_str(),
            ];
            if json {
                args.push("--json".as_ref());
            }
            let o = midrescue(&args);
            let out = String::from_utf8_lossy(&o.stdout);
            for (l, secret) in chunk {
                assert!(
                    !out.contains(secret),
                    "batch {batch}: {secret} of {l:?} leaked:\n{out}"
                );
            }
            if json {
                // The lines are there as evidence, masked: the check is not vacuous.
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let ev: Vec<String> = v["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|f| f["evidence"].as_array().unwrap().iter())
                    .map(|e| e["text"].as_str().unwrap().to_string())
                    .filter(|t| t.contains("SEVERE: "))
                    .collect();
                assert_eq!(ev.len(), chunk.len(), "batch {batch}: {ev:?}");
                assert!(ev.iter().all(|t| t.contains("***REDACTED***")), "{ev:?}");
            }
        }
    }
}

/// What the wizard's panes and `resume`'s lines and JSON call.
#[test]
fn live_faces_functions_mask_every_shape() {
    use midrescue::redact::{LiveRedactor, redact_line};
    for (l, secret) in LINE_SHAPES {
        let out = redact_line(l);
        assert!(!out.contains(secret), "{l:?} -> {out:?}");
        // JSON carries the redacted text as a string: still no secret after escaping.
        let j = serde_json::to_string(&serde_json::json!({ "line": out })).unwrap();
        assert!(!j.contains(secret));
    }
    for (ls, secret) in MULTI_LINE_SHAPES {
        let mut live = LiveRedactor::new();
        let shown: Vec<String> = ls.iter().map(|l| live.line(l).into_owned()).collect();
        assert!(
            shown.iter().all(|s| !s.contains(secret)),
            "{ls:?} -> {shown:?}"
        );
    }
    assert_eq!(
        redact_line("10/22/18 17:56:12 (897) AutoUpgrade.3600 Stopping MID server."),
        "10/22/18 17:56:12 (897) AutoUpgrade.3600 Stopping MID server."
    );
}

/// Support needs the logs as they are: across every lab scenario's files (real MID log
/// formats, confs, config.xml), the only lines the rule set changes are the ones holding the
/// lab's own practice secrets.
#[test]
fn ordinary_lines_of_every_lab_scenario_survive() {
    let set = midrescue::redact::RuleSet::builtin().unwrap();
    let lab_secrets = ["Practice-Only", "encrypted:", "Lab-NtService-Secret"];
    let mut lines = 0usize;
    let mut changed = Vec::new();
    for sc in midrescue::lab::scenarios() {
        let l = lab_common::Lab::new(sc.name, 1.0);
        for e in walkdir::WalkDir::new(l.root()).follow_links(false) {
            let e = e.unwrap();
            if !e.file_type().is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            if bytes.contains(&0) {
                continue;
            }
            for line in String::from_utf8_lossy(&bytes).lines() {
                lines += 1;
                let out = set.redact_text(line.as_bytes(), &mut Default::default());
                if out != line.as_bytes() && !lab_secrets.iter().any(|s| line.contains(s)) {
                    changed.push(format!("{}: {line}", e.path().display()));
                }
            }
        }
    }
    assert!(lines > 1000, "only {lines} lines read");
    assert!(
        changed.is_empty(),
        "ordinary lines masked:\n{}",
        changed.join("\n")
    );
}
