//! The lab's running MID Server: a real background process that writes the start-up lines,
//! settles the new version (`package/meta`, temp folder cleanup, as the real MID does when it
//! comes Up), keeps heartbeating into `agent0.log.0` (rotating it), and ends when the lab is
//! stopped, its pid file is removed, or the lab folder disappears.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Local;

use super::files;
use super::history;
use super::state;
use super::{LAB_FILE, MidStatus};
use crate::platform::Platform;

/// Seconds between heartbeat lines at speed 1.
const HEARTBEAT_SECS: f64 = 3.0;

/// `midrescue lab mid-process`. `running`: the MID has been up for a while (no start-up lines).
pub fn run(root: &Path, running: bool) -> anyhow::Result<u8> {
    let info = super::read_lab_info(root)?;
    let sc = super::scenario(&info.scenario).ok_or_else(|| anyhow::anyhow!("unknown scenario"))?;
    let iso = sc.era.iso_agent_log();
    let agent = root.join("agent");
    let logs = agent.join("logs");
    let wrapper_log = logs.join("wrapper.log");
    let pid_file = agent.join("work").join("mid.pid");
    let me = std::process::id();
    let limit = info.agent_log_limit;
    let speed = state::effective_speed(&info);
    let url = config_url(&agent).unwrap_or_default();
    let windows = info.platform == Platform::Windows;

    std::fs::write(&pid_file, format!("{me}\n"))?;
    state::update_info(root, |i| i.mid_pid = Some(me))?;
    let mine = || {
        !state::lab_gone_or_stopped(root)
            && std::fs::read_to_string(&pid_file).is_ok_and(|s| s.trim() == me.to_string())
    };
    let wait = |secs: f64| -> bool {
        let end = Instant::now() + Duration::from_secs_f64(secs / speed);
        while Instant::now() < end {
            if !mine() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        mine()
    };

    if !running {
        history::append_wrapper(&wrapper_log, Local::now(), &history::wrapper_start(windows));
        let start = history::start_lines(iso, &agent, &url);
        if !wait(2.0) {
            return Ok(finish(root, &pid_file, me, iso, limit, windows));
        }
        history::append_agent(&logs, iso, limit, Local::now(), &start[..3]);
        if !wait(2.0) {
            return Ok(finish(root, &pid_file, me, iso, limit, windows));
        }
        history::append_agent(&logs, iso, limit, Local::now(), &start[3..]);
        settle_new_version(root, &agent, iso, limit);
    }
    state::update_info(root, |i| {
        i.mid_status = MidStatus::Up;
        i.status_changed_at = Local::now().to_rfc3339();
    })?;

    let mut beat = 0u64;
    while wait(HEARTBEAT_SECS) {
        history::append_agent(&logs, iso, limit, Local::now(), &[history::chatter(beat)]);
        beat += 1;
    }
    Ok(finish(root, &pid_file, me, iso, limit, windows))
}

/// Up on the new version: record it in `package/meta` and delete the upgrade temp folder.
fn settle_new_version(root: &Path, agent: &Path, iso: bool, limit: u64) {
    let Ok(info) = super::read_lab_info(root) else {
        return;
    };
    let logs = agent.join("logs");
    if files::read_meta_version(agent).as_deref() != Some(info.target_version.as_str()) {
        let _ = files::write_meta(agent, info.platform, &info.target_version);
        let _ = state::update_info(root, |i| i.installed_version = i.target_version.clone());
    }
    let names = files::package_names(info.platform, &info.target_version);
    history::append_agent(
        &logs,
        iso,
        limit,
        Local::now(),
        &history::package_block(&names, &names, false),
    );
    if let Some(temp) = info.temp_dir.filter(|t| t.is_dir()) {
        let line = super::lines::info(
            "StartupSequencer",
            "UpgradeCleaner:58",
            format!("Deleting upgrade temp folder {}", temp.display()),
        );
        history::append_agent(&logs, iso, limit, Local::now(), &[line]);
        let _ = std::fs::remove_dir_all(&temp);
    }
}

/// Write the stop sequence when the lab still exists, release the pid file, record Down.
fn finish(root: &Path, pid_file: &Path, me: u32, iso: bool, limit: u64, _windows: bool) -> u8 {
    if !root.join(LAB_FILE).is_file() {
        return 0;
    }
    let logs = root.join("agent").join("logs");
    history::append_agent(&logs, iso, limit, Local::now(), &history::stop_lines());
    history::append_wrapper(
        &logs.join("wrapper.log"),
        Local::now(),
        &["<-- Wrapper Stopped"],
    );
    if std::fs::read_to_string(pid_file).is_ok_and(|s| s.trim() == me.to_string()) {
        let _ = std::fs::remove_file(pid_file);
    }
    let _ = state::update_info(root, |i| {
        if i.mid_pid == Some(me) {
            i.mid_pid = None;
            i.mid_status = MidStatus::Down;
            i.status_changed_at = Local::now().to_rfc3339();
        }
    });
    0
}

/// The `url` parameter of config.xml.
fn config_url(agent: &Path) -> Option<String> {
    let text = std::fs::read_to_string(agent.join("config.xml")).ok()?;
    let re = regex::Regex::new(r#"name="url"\s+value="([^"]*)""#).ok()?;
    re.captures(&text).map(|c| c[1].to_string())
}
