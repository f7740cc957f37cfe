//! The lab MID's logs: a rotating `agent0.log.*` writer (JUL `FileHandler` rules: `.0` is the
//! current file, `limit` bytes, 10 generations) and the line sequences of §4.4.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local};

use super::lines::{self, AgentLine, info, severe};

const GENERATIONS: usize = 10;

fn agent_log(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("agent0.log.{n}"))
}

/// Shift `agent0.log.k` to `.k+1` (dropping the oldest), as JUL does when `.0` is full.
pub fn rotate(dir: &Path) -> std::io::Result<()> {
    let _ = std::fs::remove_file(agent_log(dir, GENERATIONS - 1));
    for k in (0..GENERATIONS - 1).rev() {
        let from = agent_log(dir, k);
        if from.exists() {
            std::fs::rename(&from, agent_log(dir, k + 1))?;
        }
    }
    Ok(())
}

/// A buffered writer for generating history fast; rotates at `limit`.
pub struct AgentLog {
    dir: PathBuf,
    iso: bool,
    limit: u64,
    size: u64,
    out: BufWriter<File>,
}

impl AgentLog {
    pub fn open(dir: &Path, iso: bool, limit: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = agent_log(dir, 0);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        Ok(AgentLog {
            dir: dir.to_path_buf(),
            iso,
            limit,
            size,
            out: BufWriter::with_capacity(1 << 16, file),
        })
    }

    pub fn line(&mut self, t: DateTime<Local>, l: &AgentLine) -> std::io::Result<()> {
        let text = lines::agent(t, self.iso, l);
        if self.size > 0 && self.size + text.len() as u64 > self.limit {
            self.out.flush()?;
            rotate(&self.dir)?;
            let file = File::create(agent_log(&self.dir, 0))?;
            self.out = BufWriter::with_capacity(1 << 16, file);
            self.size = 0;
        }
        self.size += text.len() as u64;
        self.out.write_all(text.as_bytes())
    }

    pub fn lines(&mut self, t: DateTime<Local>, ls: &[AgentLine]) -> std::io::Result<()> {
        for (i, l) in ls.iter().enumerate() {
            self.line(t + chrono::Duration::milliseconds(7 * i as i64), l)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Append lines to `agent0.log.0` with open-append-close (how a live MID looks to readers),
/// rotating first when the file is over `limit`. Does nothing when the logs folder is gone.
pub fn append_agent(dir: &Path, iso: bool, limit: u64, t: DateTime<Local>, ls: &[AgentLine]) {
    if !dir.is_dir() {
        return;
    }
    let current = agent_log(dir, 0);
    if std::fs::metadata(&current)
        .map(|m| m.len() > limit)
        .unwrap_or(false)
    {
        let _ = rotate(dir);
    }
    let text: String = ls
        .iter()
        .enumerate()
        .map(|(i, l)| lines::agent(t + chrono::Duration::milliseconds(3 * i as i64), iso, l))
        .collect();
    append(&current, &text);
}

/// Append `text` to `path` (open, write, close); never creates missing folders.
pub fn append(path: &Path, text: &str) {
    if !path.parent().is_some_and(Path::is_dir) {
        return;
    }
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(text.as_bytes());
    }
}

/// Append wrapper.log lines (`yyyy/MM/dd HH:mm:ss | msg`).
pub fn append_wrapper(path: &Path, t: DateTime<Local>, msgs: &[&str]) {
    let text: String = msgs.iter().map(|m| lines::wrapper(t, m)).collect();
    append(path, &text);
}

/// What starting the MID service on a half-replaced install does (KB0779816's warning): the
/// MID deletes the upgrade temp folder, logs and all, then its JVM cannot load from the
/// half-replaced lib folder, the agent log gets no line and `wrapper.log` shows the wrapper
/// giving up. Used by the `temp-folder-lost` story and by the lab-only start action.
pub fn service_started_on_broken_install(
    wrapper_log: &Path,
    temp: Option<&Path>,
    windows: bool,
    at: DateTime<Local>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut msgs = wrapper_start(windows);
    msgs.pop();
    for _ in 0..5 {
        msgs.extend([
            "Launching a JVM...",
            "Error: Could not find or load main class org.tanukisoftware.wrapper.WrapperStartStopApp",
            "JVM exited while loading the application.",
        ]);
    }
    msgs.extend([
        "There were 5 failed launches in a row, each lasting less than 300 seconds.  Giving up.",
        "  There may be a configuration problem: please check the logs.",
        "<-- Wrapper Stopped",
    ]);
    append_wrapper(wrapper_log, at, &msgs);
    if let Some(temp) = temp.filter(|t| t.exists()) {
        std::fs::remove_dir_all(temp).with_context(|| format!("removing {}", temp.display()))?;
    }
    Ok(())
}

/// The Tanuki banner the main wrapper writes when the MID service starts (§4.3).
pub fn wrapper_start(windows: bool) -> Vec<&'static str> {
    vec![
        if windows {
            "--> Wrapper Started as Service"
        } else {
            "--> Wrapper Started as Daemon"
        },
        "Java Service Wrapper Standard Edition 64-bit 3.5.36",
        "  Copyright (C) 1999-2020 Tanuki Software, Ltd. All Rights Reserved.",
        "    http://wrapper.tanukisoftware.com",
        "  Licensed to ServiceNow, Inc. for MID",
        "",
        "Launching a JVM...",
        "WrapperManager: Initializing...",
    ]
}

/// What the MID says when it starts (§4.4 step 12).
pub fn start_lines(iso: bool, agent: &Path, url: &str) -> Vec<AgentLine> {
    let cfg = agent.join("config.xml");
    let mut v = vec![
        info(
            "MIDServer",
            "Main:239",
            format!("Using configuration: {}", cfg.display()),
        ),
        if iso {
            info("MIDServer", "Main:265", "Initializing MID Server")
        } else {
            info("MIDServer", "Main:265", "MID Server starting")
        },
        info(
            "MIDServer",
            "Main:281",
            format!("Agent home path: {}", agent.display()),
        ),
    ];
    v.push(info(
        "MIDServer",
        "MIDServerState:152",
        "MID Server started",
    ));
    v.push(info(
        "StartupSequencer",
        "StartupSequencer:198",
        format!("Successfully connected to instance: {url}"),
    ));
    v
}

/// The normal stop sequence (§4.4 step 11).
pub fn stop_lines() -> Vec<AgentLine> {
    vec![
        info(
            "WrapperListener_stop_runner",
            "MIDServer:412",
            "Stopping MID server",
        ),
        info(
            "WrapperListener_stop_runner",
            "Instance:689",
            "Setting mid status to Down",
        ),
        info(
            "WrapperListener_stop_runner",
            "Instance:702",
            "Instance.updateAgentRecordStopped(), OperationalState=UP",
        ),
        info(
            "WrapperListener_stop_runner",
            "MIDServer:431",
            "interrupting thread ECCQueueMonitor.40",
        ),
        info("MIDServer", "MIDServerState:160", "MID Server stopping"),
        info("MIDServer", "MIDServerState:171", "MID Server stopped"),
    ]
}

/// The hourly "is there an upgrade" check with its package block (§4.4 steps 2-3).
pub fn package_block(
    installed: &[String; 3],
    assigned: &[String; 3],
    missing: bool,
) -> Vec<AgentLine> {
    let t = "AutoUpgrade.3600";
    let inst = format!("Installed: [{}, {}]", installed[0], installed[1]);
    let asg = format!(
        "Assigned: [{}, {}, {}]",
        assigned[2], assigned[0], assigned[1]
    );
    let miss = if missing {
        format!(
            "Missing: [{}, {}, {}]",
            assigned[2], assigned[0], assigned[1]
        )
    } else {
        "Missing: []".to_string()
    };
    vec![
        info(
            t,
            "AutoUpgrade:143",
            "Checking to see if MID server needs to upgrade.",
        ),
        info(t, "PackageManager:97", "Current packages:"),
        info(t, "PackageManager:98", inst),
        info(t, "PackageManager:99", asg),
        info(t, "PackageManager:100", miss),
        info(t, "PackageManager:101", "Downloaded: []"),
    ]
}

/// Ordinary monitor chatter, one line per call (what days of history and the live heartbeat
/// look like; the exact wording of these lines is not from a source).
pub fn chatter(i: u64) -> AgentLine {
    match i % 5 {
        0 => info(
            "StatusMonitor.600",
            "StatusMonitor:88",
            "Sending heartbeat to instance",
        ),
        1 => info(
            "ECCQueueMonitor.40",
            "ECCQueueMonitor:121",
            "Polling ECC queue: 0 new messages",
        ),
        2 => info(
            "RefreshMonitor.65",
            "RefreshMonitor:74",
            "Refreshing MID Server properties",
        ),
        3 => info(
            "LogStatusMonitor.60",
            "LogStatusMonitor:57",
            "Log status: OK",
        ),
        _ => info(
            "ECCSender.1",
            "ECCSender:203",
            format!(
                "Sending ecc_queue.{:08x}.xml",
                i.wrapping_mul(2654435761) as u32
            ),
        ),
    }
}

/// The upgrade up to the crash (§4.4 steps 2-10): the hand-over to the Distribution Upgrade.
pub struct UpgradeStory<'a> {
    pub agent: &'a Path,
    pub temp: &'a Path,
    pub windows: bool,
    pub installed: [String; 3],
    pub assigned: [String; 3],
    pub version: &'a str,
    /// The MID could not run the script (KB0690910).
    pub script_denied: bool,
    /// KB0784389: the wrapper-manager line the launch gobbled when the upgrade service of this
    /// MID's name was already taken (another MID of the same name); no upgrade ran.
    pub service_conflict: Option<String>,
}

impl UpgradeStory<'_> {
    pub fn lines(&self) -> Vec<AgentLine> {
        let t = "AutoUpgrade.3600";
        let mut v = package_block(&self.installed, &self.assigned, true);
        v.push(info(
            t,
            "PreUpgradeCheck:61",
            "Performing pre-upgrade validation tests.",
        ));
        v.push(info(
            t,
            "PreUpgradeCheck:118",
            "Pre-upgrade validation tests successful. Continuing with upgrade process.",
        ));
        let incoming = self.agent.join("package").join("incoming");
        let (y, m, d) = date_parts(self.version);
        for (kind, p) in [
            ("mid-upgrade", &self.assigned[2]),
            ("mid-core", &self.assigned[0]),
            ("mid-jre", &self.assigned[1]),
        ] {
            let info_path =
                format!("glide/distribution/builds/package/app-signed/{kind}/{y}/{m}/{d}/{p}");
            v.push(info(
                t,
                "PackageDownloader:77",
                format!(
                    "Downloading package to {} from https://install.service-now.com/ {info_path}",
                    incoming.join(p).display()
                ),
            ));
            v.push(info(
                t,
                "PackageDownloader:102",
                format!("Package was successfully downloaded from https://install.service-now.com/ {info_path}"),
            ));
        }
        v.push(info(t, "Instance:689", "Setting mid status to Upgrading"));
        v.push(info(t, "AutoUpgrade:233", "Upgrading MID server"));
        for p in [&self.assigned[2], &self.assigned[0], &self.assigned[1]] {
            v.push(info(
                t,
                "PackageExtractor:54",
                format!(
                    "Extracting package {} to {}",
                    incoming.join(p).display(),
                    self.temp.display()
                ),
            ));
        }
        v.push(info(
            t,
            "AutoUpgrade:301",
            "Stopping MID server. Bootstrapping upgrade.",
        ));
        let launch = if self.windows {
            "cmd.exe /C bin\\glide-dist-upgrade.bat start"
        } else {
            "/bin/sh -c bin/glide-dist-upgrade.sh start"
        };
        if let Some(wrapperm) = &self.service_conflict {
            // The upgrade could not install its service: nothing is replaced, no marker.
            v.push(info(
                t,
                "StreamGobbler:45",
                format!("Gobbling stderr: {launch} Gobbled: {wrapperm}"),
            ));
            v.extend(stop_lines());
            return v;
        }
        if self.script_denied {
            v.push(info(
                t,
                "StreamGobbler:45",
                format!("Gobbling stderr: {launch} Gobbled: /bin/sh: bin/glide-dist-upgrade.sh: Permission denied"),
            ));
        } else {
            v.push(info(
                t,
                "StreamGobbler:45",
                format!("Gobbling stdout: {launch} Gobbled: Starting ServiceNow Platform Distribution Upgrade..."),
            ));
        }
        v.push(info(
            t,
            "UpgradeMarker:39",
            format!(
                "Added marker `{}` to upgrade marker file.",
                self.temp.display()
            ),
        ));
        if self.script_denied {
            v.push(severe(t, "AutoUpgrade:322", "Upgrade failed."));
        }
        v.extend(stop_lines());
        v
    }
}

/// (yyyy, MM, dd) of a buildstamp's build date (the third date in the §5.5 grammar).
fn date_parts(version: &str) -> (String, String, String) {
    let build = version
        .rsplit('_')
        .nth(1)
        .unwrap_or("01-01-2024")
        .to_string();
    let mut it = build.split('-');
    let m = it.next().unwrap_or("01").to_string();
    let d = it.next().unwrap_or("01").to_string();
    let y = it.next().unwrap_or("2024").to_string();
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_date_comes_from_the_buildstamp() {
        assert_eq!(
            date_parts("tokyo-07-08-2022__patch4-12-14-2022_12-21-2022_1048"),
            ("2022".into(), "12".into(), "21".into())
        );
    }

    #[test]
    fn live_appends_rotate_when_the_current_file_is_full() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..30 {
            append_agent(dir.path(), true, 300, Local::now(), &[chatter(i)]);
        }
        let cur = std::fs::read_to_string(agent_log(dir.path(), 0)).unwrap();
        let prev = std::fs::read_to_string(agent_log(dir.path(), 1)).unwrap();
        assert!(
            prev.len() > 300 && cur.len() <= 300 + 200,
            "{} {}",
            prev.len(),
            cur.len()
        );
        assert!(prev.lines().count() > 1 && cur.ends_with('\n'));
        // A removed logs folder is not re-created.
        let gone = dir.path().join("gone");
        append_agent(&gone, true, 300, Local::now(), &[chatter(0)]);
        assert!(!gone.exists());
    }

    #[test]
    fn rotation_keeps_ten_generations() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AgentLog::open(dir.path(), false, 200).unwrap();
        for i in 0..200 {
            log.line(Local::now(), &chatter(i)).unwrap();
        }
        log.finish().unwrap();
        for n in 0..GENERATIONS {
            let len = std::fs::metadata(agent_log(dir.path(), n)).unwrap().len();
            assert!(len <= 200 && len > 0, "generation {n}: {len}");
        }
        assert!(!agent_log(dir.path(), GENERATIONS).exists());
    }
}
