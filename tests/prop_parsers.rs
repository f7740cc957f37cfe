//! Bounded, seeded property tests over the fuzz entry points (`midrescue::fuzzing`): the same
//! invariants the libFuzzer targets check (`fuzz/`, `scripts/fuzz.sh`), on inputs built from
//! real MID lines, config files and command outputs with random edits, random bytes, and the
//! line breaks, encodings and lengths the MID host throws at us. Same seed every run, so a
//! failure here reproduces; a crash the fuzzer finds gets a case in `regressions` below.

mod prop_common;

use midrescue::fuzzing;
use proptest::prelude::*;

const SEED: [u8; 32] = *b"midrescue-prop-parsers-seed-0001";

fn run<S: Strategy>(cases: u32, strategy: S, check: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    prop_common::run(&SEED, cases, strategy, check)
}

const LOG_LINES: &[&str] = &[
    "10/22/18 17:56:10 (895) AutoUpgrade.3600 Setting mid status to Upgrading",
    "10/22/18 17:56:12 (897) AutoUpgrade.3600 Stopping MID server. Bootstrapping upgrade.",
    "09/21/19 16:22:12 (551) AutoUpgrade.3600 Added marker `C:\\WINDOWS\\TEMP\\1569035472492-0` to upgrade marker file.",
    "09/21/19 16:28:12 (551) Added marker `C:\\WINDOWS\\TEMP\\1-0` to upgrade marker file.",
    "2022-10-21T13:08:58.330+0200 INFO (AutoUpgrade.3600) [AutoUpgrade:512] Added marker `/opt/servicenow/mid/agent/work/upgrade_temp/1666350538330-0` to upgrade marker file.",
    "2022-10-21T13:08:58.330+0200 INFO (MIDServer) [Main:265] Initializing MID Server",
    "10/22/18 17:56:14 (001) AutoUpgrade.3600 Setting mid status to Upgrade Failed",
    "06/04/18 10:15:02 (123) AutoUpgrade.3600 SEVERE *** ERROR *** Upgrade failed.",
    "INFO   | jvm 1    | 2019/09/21 16:30:47.130 | INFO: Removing previous MID JRE at `C:\\ServiceNow\\agent\\jre`.",
    "jvm 1    | 2019/09/21 16:30:47.817 | WARNING: x",
    "STATUS | wrapper  | 2019/09/21 16:30:47 | --> Wrapper Started as Service",
    "2019/12/15 00:33:17 | Machine is shutting down.",
    "2019/09/21 16:30:47 INFO: Backing up agent/lib to agent/lib_backup",
    "2019/09/21 16:30:48 SEVERE: Unable to delete file C:\\ServiceNow\\agent\\lib\\x.jar: The process cannot access the file because it is being used by another process",
    "2019/09/21 16:31:00 INFO: Upgrade completed successfully",
    "10/22/18 17:50:13 (100) MIDServer MID Server started",
    "\tat com.service_now.mid.AutoUpgrade.run(AutoUpgrade.java:123)",
    "Caused by: java.io.IOException: Access is denied",
];

const BREAKS: &[&str] = &["\n", "\r\n", "\r", "\n\n"];

/// Real lines with random edits (a cut, an inserted run of any characters), random strings,
/// and now and then a very long line, joined by any line break.
fn log_text() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => (0..LOG_LINES.len(), any::<usize>(), ".{0,12}").prop_map(|(i, at, ins)| {
            let l = LOG_LINES[i];
            let mut at = at % (l.len() + 1);
            while !l.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{ins}{}", &l[..at], &l[at..])
        }),
        2 => (0..LOG_LINES.len(), any::<usize>()).prop_map(|(i, cut)| {
            let l = LOG_LINES[i];
            let mut cut = cut % (l.len() + 1);
            while !l.is_char_boundary(cut) {
                cut -= 1;
            }
            l[..cut].to_string()
        }),
        2 => ".{0,80}",
        1 => (1usize..20_000).prop_map(|n| "x".repeat(n)),
    ];
    prop::collection::vec((line, 0..BREAKS.len()), 0..24).prop_map(|lines| {
        let mut out = Vec::new();
        for (l, b) in lines {
            out.extend_from_slice(l.as_bytes());
            out.extend_from_slice(BREAKS[b].as_bytes());
        }
        out
    })
}

/// Bytes that may be anything, including invalid UTF-8 and NULs.
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn utf16le(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in s.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

const CONFIG_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<parameters>
    <parameter name="url" value="https://acme.service-now.com"/>
    <parameter name="mid.instance.username" value="mid.user"/>
    <parameter name="mid.instance.password" secure="true" value="encrypted:QUJDREVGR0g="/>
    <parameter name="name" value="MID-PROD-01"/>
    <parameter name="mid_sys_id" value="0123456789abcdef0123456789abcdef"/>
    <parameter name="mid.pinned.version" value=""/>
    <parameter name="mid.upgrade.run_precheck" value="true"/>
    <!-- <parameter name="mid.proxy.password" value="old"/> -->
</parameters>
"#;

const WRAPPER_CONF: &str = "wrapper.name=snc_mid_PROD01\r\nwrapper.displayname=ServiceNow MID Server_PROD01\r\n# wrapper.java.additional.1=-Dx\r\nwrapper.java.additional.2=-Xmx1024m\r\n";
const SHCONF: &str = "APP_NAME=mid\nAPP_LONG_NAME=\"ServiceNow MID Server\"\nexport RUN_AS_USER=svcmid\nSYSTEMD_KILLMODE=process\n";
const UNIT: &str = "[Service]\nType=forking\nKillMode=process\nUser=svcmid\nExecStart=/opt/servicenow/mid/agent/bin/mid.sh start sysd\n";

/// A real text with one random edit: a cut, a run of random bytes inserted, or a byte flipped.
fn edited(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (0..3u8, any::<usize>(), bytes(16)).prop_map(move |(how, at, ins)| {
        let at = at % (base.len() + 1);
        let mut v = base.to_vec();
        match how {
            0 => v.truncate(at),
            1 => {
                v.splice(at..at, ins);
            }
            _ => {
                if let Some(b) = v.get_mut(at) {
                    *b ^= 0x5a;
                }
            }
        }
        v
    })
}

#[test]
fn log_lines_markers_timeline_and_milestones() {
    run(300, log_text(), |t| fuzzing::loglines(&t));
    run(200, bytes(400), |t| fuzzing::loglines(&t));
}

#[test]
fn the_reverse_reader_agrees_with_a_forward_split() {
    let input = (any::<u8>(), any::<u8>(), log_text()).prop_map(|(a, b, t)| {
        let mut v = vec![a, b];
        v.extend(t.into_iter().take(30_000));
        v
    });
    run(120, input, |t| fuzzing::reverse_lines(&t));
    // Short texts of nothing but breaks and a letter: every way `\r` and `\n` can meet a chunk edge.
    let breaks = prop::collection::vec(prop::sample::select(&b"\r\na"[..]), 0..40).prop_map(|v| {
        let mut out = vec![3u8, 2u8];
        out.extend(v);
        out
    });
    run(300, (any::<u8>(), any::<u8>(), breaks), |(a, b, mut t)| {
        t[0] = a;
        t[1] = b;
        fuzzing::reverse_lines(&t)
    });
}

#[test]
fn config_xml_in_any_encoding_and_the_confs() {
    run(300, edited(CONFIG_XML.as_bytes()), |x| fuzzing::config(&x));
    run(100, edited(CONFIG_XML.as_bytes()), |x| {
        fuzzing::config(&utf16le(&String::from_utf8_lossy(&x)))
    });
    let confs = (
        edited(WRAPPER_CONF.as_bytes()),
        edited(SHCONF.as_bytes()),
        edited(UNIT.as_bytes()),
    )
        .prop_map(|(a, b, c)| [a, b, c].join(&0xFFu8));
    run(300, confs, |x| fuzzing::config(&x));
    run(200, bytes(300), |x| fuzzing::config(&x));
}

const SC_QUERY: &str = "\r\nSERVICE_NAME: snc_mid_PROD01\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        STATE              : 1  STOPPED\r\n        WIN32_EXIT_CODE    : 1077  (0x435)\r\n";
const SC_QC: &str = "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: snc_mid_PROD01\r\n        START_TYPE         : 2   AUTO_START\r\n        BINARY_PATH_NAME   : \"C:\\ServiceNow\\PROD01\\agent\\bin\\wrapper-windows-x86-64.exe\" -s \"C:\\ServiceNow\\PROD01\\agent\\conf\\wrapper.conf\"\r\n        DISPLAY_NAME       : ServiceNow MID Server_PROD01\r\n        SERVICE_START_NAME : .\\svcmid\r\n";
const SC_FAIL: &str = "[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n";
const SYSTEMCTL: &str = "ActiveState=inactive\nSubState=dead\nUnitFileState=enabled\nKillMode=process\nUser=svcmid\nMainPID=0\n";
const ICACLS: &str = "C:\\ServiceNow\\agent\\bin\\mid.bat BUILTIN\\Administrators:(I)(F)\r\n                                 NT AUTHORITY\\SYSTEM:(I)(F)\r\n                                 BUILTIN\\Users:(I)(RX)\r\n                                 NT AUTHORITY\\Authenticated Users:(I)(M)\r\n\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n";
const PS: &str = "  PID  PPID USER     COMMAND\n 1200     1 svcmid   /opt/mid/agent/bin/./wrapper-linux-x86-64 /opt/mid/agent/conf/wrapper.conf\n 1234  1200 svcmid   /opt/mid/agent/jre/bin/java -classpath x com.service_now.mid.MIDServer\n";
const TASKLIST: &str = "\"Image Name\",\"PID\",\"Session Name\",\"Session#\",\"Mem Usage\"\r\n\"java.exe\",\"4242\",\"Services\",\"0\",\"120,000 K\"\r\n";
const MOUNTINFO: &str = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n40 22 0:35 / /tmp rw,nosuid,nodev,noexec,relatime shared:20 - tmpfs tmpfs rw\n";
const NET_LOCALGROUP: &str = "Alias name     Administrators\r\nComment        Administrators have complete and unrestricted access\r\n\r\nMembers\r\n\r\n-------------------------------------------------------------------------------\r\nAdministrator\r\nACME\\svcmid\r\nThe command completed successfully.\r\n";
const MIDSH: &str = "ServiceNow MID Server is running (1234).\n";

#[test]
fn service_and_host_command_output() {
    for base in [
        SC_QUERY,
        SC_QC,
        SC_FAIL,
        SYSTEMCTL,
        ICACLS,
        PS,
        TASKLIST,
        MOUNTINFO,
        NET_LOCALGROUP,
        MIDSH,
    ] {
        run(60, edited(base.as_bytes()), |x| fuzzing::hostctl(&x));
    }
    run(200, bytes(400), |x| fuzzing::hostctl(&x));
}

const TABLE_ANSWER: &str = r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","name":"MID-PROD-01","status":"Up","validated":"true","version":"washingtondc-12-20-2023__patch3","last_refreshed":"2026-12-06 10:00:00","sys_updated_on":"2026-12-06 10:00:00"}]}"#;

#[test]
fn the_table_api_answer() {
    run(400, edited(TABLE_ANSWER.as_bytes()), |x| {
        fuzzing::table_api(&x)
    });
    run(200, bytes(200), |x| fuzzing::table_api(&x));
}

/// Cases the fuzzers found; each crashed or broke an invariant before its fix.
mod regressions {}
