//! The real line formats of mid-server.md §4.2/§4.3, as pure formatters.

use chrono::{DateTime, Local};

/// Java logging level of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Severe,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Severe => "SEVERE",
        }
    }
}

/// One agent log line before formatting: thread, `Class:line` (shown in the ISO format only),
/// level and message.
#[derive(Debug, Clone)]
pub struct AgentLine {
    pub thread: &'static str,
    pub source: &'static str,
    pub level: Level,
    pub msg: String,
}

pub fn info(thread: &'static str, source: &'static str, msg: impl Into<String>) -> AgentLine {
    AgentLine {
        thread,
        source,
        level: Level::Info,
        msg: msg.into(),
    }
}

pub fn severe(thread: &'static str, source: &'static str, msg: impl Into<String>) -> AgentLine {
    AgentLine {
        thread,
        source,
        level: Level::Severe,
        msg: msg.into(),
    }
}

/// `agent0.log.*` line: legacy `MM/dd/yy HH:mm:ss (mmm) Thread msg` (severity inside the message,
/// as in `SEVERE *** ERROR *** ...`) or ISO `2022-10-21T13:08:58.330+0200 INFO (Thread) [Class:line] msg`.
pub fn agent(t: DateTime<Local>, iso: bool, l: &AgentLine) -> String {
    if iso {
        format!(
            "{} {} ({}) [{}] {}\n",
            t.format("%Y-%m-%dT%H:%M:%S%.3f%z"),
            l.level.as_str(),
            l.thread,
            l.source,
            l.msg
        )
    } else {
        let prefix = match l.level {
            Level::Info => "",
            Level::Warning => "WARNING *** WARNING *** ",
            Level::Severe => "SEVERE *** ERROR *** ",
        };
        format!(
            "{} ({}) {} {}{}\n",
            t.format("%m/%d/%y %H:%M:%S"),
            t.format("%3f"),
            l.thread,
            prefix,
            l.msg
        )
    }
}

/// Main `wrapper.log` line: `yyyy/MM/dd HH:mm:ss | msg`.
pub fn wrapper(t: DateTime<Local>, msg: &str) -> String {
    format!("{} | {}\n", t.format("%Y/%m/%d %H:%M:%S"), msg)
}

/// Tanuki LPTM line of `glide-dist-upgrade.log`: `INFO   | jvm 1    | 2019/09/21 16:30:47.114 | msg`.
pub fn lptm(level: &str, source: &str, t: DateTime<Local>, msg: &str) -> String {
    format!(
        "{:<6} | {:<8} | {} | {}\n",
        level,
        source,
        t.format("%Y/%m/%d %H:%M:%S%.3f"),
        msg
    )
}

/// The two LPTM lines of one `java.util.logging.SimpleFormatter` record printed by the upgrade
/// JVM: `Sep 21, 2019 4:30:47 PM <class> <method>` then `LEVEL: msg`.
pub fn jvm_record(
    t: DateTime<Local>,
    class: &str,
    method: &str,
    level: Level,
    msg: &str,
) -> String {
    let head = format!("{} {class} {method}", t.format("%b %-d, %Y %-I:%M:%S %p"));
    let t2 = t + chrono::Duration::milliseconds(16);
    lptm("INFO", "jvm 1", t, &head)
        + &lptm("INFO", "jvm 1", t2, &format!("{}: {msg}", level.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t() -> DateTime<Local> {
        Local
            .with_ymd_and_hms(2019, 9, 21, 16, 30, 47)
            .single()
            .unwrap()
            + chrono::Duration::milliseconds(114)
    }

    #[test]
    fn formats_match_the_reference_lines() {
        let l = severe("AutoUpgrade.3600", "AutoUpgrade:512", "Upgrade failed.");
        assert_eq!(
            agent(t(), false, &l),
            "09/21/19 16:30:47 (114) AutoUpgrade.3600 SEVERE *** ERROR *** Upgrade failed.\n"
        );
        let iso = agent(
            t(),
            true,
            &info("MIDServer", "Main:265", "Initializing MID Server"),
        );
        let re = regex::Regex::new(
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4} INFO \(MIDServer\) \[Main:265\] Initializing MID Server\n$",
        )
        .unwrap();
        assert!(re.is_match(&iso), "{iso}");
        assert_eq!(
            wrapper(t(), "Launching a JVM..."),
            "2019/09/21 16:30:47 | Launching a JVM...\n"
        );
        let rec = jvm_record(
            t(),
            "com.snc.dist.mid_upgrade.UpgradeMain",
            "deleteJreDirIfSourced",
            Level::Info,
            "Removing previous MID JRE at `C:\\ServiceNow\\agent\\jre`.",
        );
        assert_eq!(
            rec,
            "INFO   | jvm 1    | 2019/09/21 16:30:47.114 | Sep 21, 2019 4:30:47 PM com.snc.dist.mid_upgrade.UpgradeMain deleteJreDirIfSourced\n\
             INFO   | jvm 1    | 2019/09/21 16:30:47.130 | INFO: Removing previous MID JRE at `C:\\ServiceNow\\agent\\jre`.\n"
        );
    }
}
