//! The one generator behind every scenario: lays out the install (§1, §5), writes days of
//! history in the real line formats (§4), replays the first Distribution Upgrade up to the
//! scenario's crash, and starts the lab's processes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Local};
use sha2::Digest;

use super::files::{self, Identity};
use super::history::{self, AgentLog, UpgradeStory};
use super::scenario::{Crash, Era, Scenario, Stage};
use super::state;
use super::upgrade::{Clock, Fault, Launch, Outcome, Upgrade};
use super::{CreateOptions, InstanceInfo, LabCreated, LabInfo, MidStatus};
use crate::platform::Platform;

const MID_NAME: &str = "lab-mid-01";
/// Lab credentials of the instance stand-in (printed by `lab create`, in the training texts).
pub const INSTANCE_USER: &str = "lab.admin";
pub const INSTANCE_PASSWORD: &str = "Practice-Only-1";
/// The instance URL of labs without a stand-in: a reserved name that can never resolve.
const NO_INSTANCE_URL: &str = "https://midrescue-lab.service-now.invalid/";
/// Where the time goes in a gobbled wrapper-manager line (filled in when the line is written).
const WRAPPERM_TIME: &str = "<wrapperm time>";
/// How many times the first run retries a locked file before it gives up.
const FIRST_RUN_RETRIES: u32 = 12;

pub fn create(name: &str, dir: &Path, opts: &CreateOptions) -> anyhow::Result<LabCreated> {
    let sc = super::scenario(name)
        .with_context(|| format!("unknown scenario `{name}` (see `midrescue lab list`)"))?;
    prepare_dir(dir)?;
    let root = crate::platform::paths::canonicalize(dir)
        .with_context(|| format!("resolving {}", dir.display()))?;
    let exe = match &opts.exe {
        Some(e) => e.clone(),
        None => std::env::current_exe().context("finding the midrescue binary")?,
    };
    let platform = opts.platform.unwrap_or(sc.platform);
    // Before the upgrade, every scenario is a running MID; only its hazard (`before_upgrade`)
    // tells what will make the coming upgrade crash.
    let stage = if opts.before_upgrade {
        Stage::Healthy
    } else {
        sc.stage
    };
    let (old, new) = sc.era.versions();
    let now = Local::now();
    std::fs::create_dir_all(state::internal_dir(&root))?;

    let mut info = LabInfo {
        scenario: sc.name.to_string(),
        platform,
        mid_name: MID_NAME.to_string(),
        speed: if opts.speed.is_finite() && opts.speed > 0.0 {
            opts.speed
        } else {
            1.0
        },
        exe: Some(exe.clone()),
        temp_dir: None,
        service_installed: true,
        start_type: Some(crate::platform::service::StartType::Auto),
        mid_status: MidStatus::Down,
        status_changed_at: now.to_rfc3339(),
        installed_version: old.to_string(),
        target_version: new.to_string(),
        mid_pid: None,
        simulator_pid: None,
        instance_pid: None,
        instance: sc.instance.then(|| InstanceInfo {
            url: None,
            user: INSTANCE_USER.to_string(),
            password: INSTANCE_PASSWORD.to_string(),
        }),
        reruns: 0,
        stop_requested: false,
        before_upgrade: opts.before_upgrade,
        agent_log_limit: std::env::var("MIDRESCUE_LAB_LOG_LIMIT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10_000_000),
        created_at: now.to_rfc3339(),
    };
    state::write_info(&root, &info)?;

    let url = if sc.instance {
        start_instance(&exe, &root)?
    } else {
        NO_INSTANCE_URL.to_string()
    };
    let lab = Lab::new(sc, stage, &root, platform, &url, now);
    let temp = lab.generate(opts.log_mb)?;
    info = super::read_lab_info(&root)?;
    info.temp_dir = temp.clone();
    if stage == Stage::Healthy {
        info.installed_version = new.to_string();
    }
    state::write_info(&root, &info)?;

    match stage {
        Stage::Healthy => {
            state::spawn_lab_process(&exe, &root, "mid-process", &["--running"])?;
            let ok = state::wait_until(Duration::from_secs(10), || {
                super::read_lab_info(&root).is_ok_and(|i| i.mid_status == MidStatus::Up)
            });
            if !ok {
                bail!("the lab MID process did not come up");
            }
        }
        Stage::InProgress => {
            let pid = state::spawn_lab_process(
                &exe,
                &root,
                "simulate",
                &["--target", "script", "start"],
            )?;
            let ok = state::wait_until(Duration::from_secs(10), || {
                super::read_lab_info(&root).is_ok_and(|i| i.simulator_pid == Some(pid))
            });
            if !ok {
                bail!("the lab's simulated upgrade did not start");
            }
        }
        Stage::Crashed | Stage::TempLost => {}
    }
    if opts.before_upgrade {
        before_upgrade_hazard(sc, &exe, &root, platform)?;
    } else if let (super::scenario::Rerun::FailsAgain, super::scenario::Crash::Locked(rel)) =
        (sc.rerun, sc.crash)
    {
        // The lock that makes the re-run fail again is held by a real process the trainee
        // can find.
        super::lock_holder::start(&exe, &root, rel)?;
    }
    let info = super::read_lab_info(&root)?;
    Ok(LabCreated {
        agent_dir: root.join("agent"),
        script: temp.as_ref().map(|t| {
            t.join("upgrade-wrapper")
                .join("bin")
                .join(script_name(platform))
        }),
        temp_dir: temp,
        root,
        scenario: sc,
        platform,
        mid_name: MID_NAME.to_string(),
        installed_version: info.installed_version,
        target_version: new.to_string(),
        instance: info.instance,
    })
}

/// The cause of the scenario's crash, laid on a running MID before any upgrade: what
/// `midrescue preflight` must catch (tests/preflight_lab.rs names the check for each).
fn before_upgrade_hazard(
    sc: &Scenario,
    exe: &Path,
    root: &Path,
    platform: Platform,
) -> anyhow::Result<()> {
    let agent = root.join("agent");
    match sc.crash {
        // Antivirus, a backup or a stray java holding the file the upgrade must replace.
        Crash::Locked(rel) | Crash::AccessDenied(rel) => {
            super::lock_holder::start(exe, root, rel)?;
        }
        // A process running from the JRE keeps `jre/bin` from being deleted.
        Crash::JreDelete => {
            let java = match platform {
                Platform::Windows => "jre/bin/java.exe",
                Platform::Linux => "jre/bin/java",
            };
            super::lock_holder::start(exe, root, java)?;
        }
        // The install's scripts lost their exec bits (copied without modes): the MID's
        // /bin/sh gets "Permission denied".
        Crash::ScriptNotExecutable => {
            for dir in [agent.join("bin"), agent.join("bin/scripts")] {
                for e in std::fs::read_dir(&dir)
                    .with_context(|| format!("reading {}", dir.display()))?
                    .flatten()
                {
                    if e.path().extension().is_some_and(|x| x == "sh") {
                        files::set_exec(&e.path(), false)?;
                    }
                }
            }
        }
        // KB0784389: a second install on the host with the same MID name.
        Crash::ServiceConflict => {
            let other = root.join("second-mid").join("agent");
            let id = Identity {
                platform,
                name: MID_NAME,
                url: NO_INSTANCE_URL,
                sys_id: "0123456789abcdef0123456789abcdef",
            };
            files::write(&other.join("config.xml"), &files::config_xml(&id), false)?;
            files::write(
                &other.join("conf/wrapper-override.conf"),
                &files::wrapper_override_conf(&id),
                false,
            )?;
        }
        Crash::None => {}
    }
    Ok(())
}

/// `dir` must be absent (it is created) or an empty folder.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a folder", dir.display());
        }
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "refusing to build a lab in {}: the folder is not empty (pick a new or empty folder)",
                dir.display()
            );
        }
        return Ok(());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

fn start_instance(exe: &Path, root: &Path) -> anyhow::Result<String> {
    state::spawn_lab_process(exe, root, "instance", &[])?;
    let mut url = None;
    state::wait_until(Duration::from_secs(10), || {
        url = super::read_lab_info(root)
            .ok()
            .and_then(|i| i.instance.and_then(|s| s.url));
        url.is_some()
    });
    url.context("the lab's instance stand-in did not start")
}

pub fn script_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Windows => "glide-dist-upgrade.bat",
        Platform::Linux => "glide-dist-upgrade.sh",
    }
}

/// Everything the generator needs about one lab.
struct Lab<'a> {
    sc: &'static Scenario,
    stage: Stage,
    root: &'a Path,
    agent: PathBuf,
    platform: Platform,
    url: &'a str,
    now: DateTime<Local>,
}

impl<'a> Lab<'a> {
    fn new(
        sc: &'static Scenario,
        stage: Stage,
        root: &'a Path,
        platform: Platform,
        url: &'a str,
        now: DateTime<Local>,
    ) -> Self {
        Lab {
            sc,
            stage,
            root,
            agent: root.join("agent"),
            platform,
            url,
            now,
        }
    }

    fn windows(&self) -> bool {
        self.platform == Platform::Windows
    }

    fn iso(&self) -> bool {
        self.sc.era.iso_agent_log()
    }

    /// Build the whole lab; returns the upgrade temp folder (even when the story deleted it).
    fn generate(&self, log_mb: u64) -> anyhow::Result<Option<PathBuf>> {
        let (old, new) = self.sc.era.versions();
        let (_, jre_new) = self.sc.era.jre_versions();
        self.write_install(old)?;
        let logs = self.agent.join("logs");
        let limit = super::read_lab_info(self.root)?.agent_log_limit;
        let mut log = AgentLog::open(&logs, self.iso(), limit)?;
        let wrapper_log = logs.join("wrapper.log");
        let from = self.now - chrono::Duration::days(3);
        // Chatter lines an hour so that about `log_mb` MiB of history fill three days.
        let avg = (0..5u64)
            .map(|i| super::lines::agent(self.now, self.iso(), &history::chatter(i)).len() as u64)
            .sum::<u64>()
            / 5;
        let lph = (log_mb * 1024 * 1024 / avg.max(1) / 72).max(60);
        let installed_old = files::package_names(self.platform, old);
        let assigned = files::package_names(self.platform, new);

        // The MID's last start, then days of ordinary life.
        history::append_wrapper(&wrapper_log, from, &history::wrapper_start(self.windows()));
        log.lines(
            from,
            &history::start_lines(self.iso(), &self.agent, self.url),
        )?;
        let upgrade_at = match self.stage {
            Stage::Healthy => self.now - chrono::Duration::days(2),
            Stage::InProgress => self.now - chrono::Duration::seconds(3),
            Stage::Crashed | Stage::TempLost => self.now - chrono::Duration::minutes(35),
        };
        // A planned restart a day later (starts and stops belong to a believable history).
        let restart = from + chrono::Duration::days(1);
        fill(&mut log, from, restart, lph, &installed_old)?;
        log.lines(restart, &history::stop_lines())?;
        history::append_wrapper(
            &wrapper_log,
            restart + chrono::Duration::seconds(2),
            &["<-- Wrapper Stopped"],
        );
        let back = restart + chrono::Duration::minutes(2);
        history::append_wrapper(&wrapper_log, back, &history::wrapper_start(self.windows()));
        log.lines(
            back + chrono::Duration::seconds(8),
            &history::start_lines(self.iso(), &self.agent, self.url),
        )?;
        let resume = back + chrono::Duration::seconds(10);
        let until = (upgrade_at - chrono::Duration::seconds(90)).max(resume);
        fill(&mut log, resume, until, lph, &installed_old)?;

        // The upgrade hand-over, up to the MID stopping (§4.4).
        let temp = self.temp_dir(upgrade_at);
        let story = UpgradeStory {
            agent: &self.agent,
            temp: &temp,
            windows: self.windows(),
            installed: installed_old.clone(),
            assigned: assigned.clone(),
            version: new,
            script_denied: self.sc.crash == Crash::ScriptNotExecutable,
            service_conflict: (self.sc.crash == Crash::ServiceConflict).then(|| {
                format!(
                    "ERROR | wrapperm | {WRAPPERM_TIME} | The ServiceNow Platform Distribution Upgrade ({MID_NAME}) service is already started with status: START_PENDING"
                )
            }),
        };
        let story_at = upgrade_at - chrono::Duration::seconds(60);
        for (i, mut l) in story.lines().into_iter().enumerate() {
            let at = story_at + chrono::Duration::milliseconds(450 * i as i64);
            // The wrapper manager stamps its own line with the same moment.
            l.msg = l
                .msg
                .replace(WRAPPERM_TIME, &at.format("%Y/%m/%d %H:%M:%S").to_string());
            log.line(at, &l)?;
        }
        history::append_wrapper(
            &wrapper_log,
            upgrade_at - chrono::Duration::seconds(2),
            &["<-- Wrapper Stopped"],
        );
        self.write_temp(&temp, new, jre_new)?;

        match self.stage {
            Stage::InProgress => {}
            Stage::Healthy => {
                self.replay(&temp, Fault::None, upgrade_at)?;
                let up = upgrade_at + chrono::Duration::minutes(3);
                history::append_wrapper(&wrapper_log, up, &history::wrapper_start(self.windows()));
                log.lines(up, &history::start_lines(self.iso(), &self.agent, self.url))?;
                files::write_meta(&self.agent, self.platform, new)?;
                std::fs::remove_dir_all(&temp)
                    .with_context(|| format!("removing {}", temp.display()))?;
                let installed_new = files::package_names(self.platform, new);
                fill(
                    &mut log,
                    up + chrono::Duration::seconds(5),
                    self.now,
                    lph,
                    &installed_new,
                )?;
                log.finish()?;
                return Ok(None);
            }
            Stage::Crashed | Stage::TempLost => {
                let fault = match self.sc.crash {
                    Crash::Locked(rel) => Fault::Locked {
                        rel: rel.to_string(),
                        retries: FIRST_RUN_RETRIES,
                    },
                    Crash::AccessDenied(rel) => Fault::AccessDenied(rel.to_string()),
                    Crash::JreDelete => Fault::JreDelete,
                    Crash::None | Crash::ScriptNotExecutable | Crash::ServiceConflict => {
                        Fault::None
                    }
                };
                if self.sc.crash == Crash::ScriptNotExecutable {
                    // The MID's /bin/sh was refused: no upgrade ever ran.
                    files::set_exec(
                        &temp
                            .join("upgrade-wrapper/bin")
                            .join(script_name(self.platform)),
                        false,
                    )?;
                } else if self.sc.crash != Crash::ServiceConflict
                    // KB0784389: the launch failed before any file was touched; no replay.
                    && self.replay(&temp, fault, upgrade_at)? == Outcome::Completed
                {
                    bail!(
                        "scenario {}: the first run was meant to crash",
                        self.sc.name
                    );
                }
            }
        }
        if self.stage == Stage::TempLost {
            self.someone_started_the_service(
                &wrapper_log,
                &temp,
                upgrade_at + chrono::Duration::minutes(20),
            )?;
        }
        log.finish()?;
        Ok(Some(temp))
    }

    fn replay(&self, temp: &Path, fault: Fault, at: DateTime<Local>) -> anyhow::Result<Outcome> {
        let (_, new) = self.sc.era.versions();
        let mut up = Upgrade {
            agent: &self.agent,
            temp,
            platform: self.platform,
            era: self.sc.era,
            name: MID_NAME,
            target_version: new,
            fault,
            clock: Clock::Virtual(at),
            launch: if self.windows() {
                Launch::Service
            } else {
                Launch::Daemon
            },
            echo: false,
        };
        Ok(up.run())
    }

    /// KB0792621: the host rebooted. The boot wiped the OS temp folder (the upgrade's) and
    /// started the MID service, whose JVM cannot load from the half-deleted lib folder.
    fn someone_started_the_service(
        &self,
        wrapper_log: &Path,
        temp: &Path,
        at: DateTime<Local>,
    ) -> anyhow::Result<()> {
        history::service_started_on_broken_install(wrapper_log, Some(temp), self.windows(), at)
    }

    /// Pre-Rome: `<lab>/os-temp/<epoch ms>-0` standing in for the OS temp folder; Rome+:
    /// `agent/work/upgrade_temp/<long number>`.
    fn temp_dir(&self, at: DateTime<Local>) -> PathBuf {
        let ms = at.timestamp_millis();
        if self.sc.era == Era::PreRome {
            self.root.join("os-temp").join(format!("{ms}-0"))
        } else {
            self.agent
                .join("work")
                .join("upgrade_temp")
                .join(format!("{ms}{:06}", std::process::id() % 1_000_000))
        }
    }

    /// The install at `version` (everything but logs).
    fn write_install(&self, version: &str) -> anyhow::Result<()> {
        let a = &self.agent;
        let (jre_old, _) = self.sc.era.jre_versions();
        let (_, new) = self.sc.era.versions();
        files::write_build(a, self.platform, version, jre_old)?;
        let digest = sha2::Sha256::digest(format!("{}{}", self.root.display(), self.now));
        let sys_id: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let id = Identity {
            platform: self.platform,
            name: MID_NAME,
            url: self.url,
            sys_id: &sys_id,
        };
        files::write(&a.join("config.xml"), &files::config_xml(&id), false)?;
        files::write(
            &a.join("conf/wrapper.conf"),
            &files::wrapper_conf(self.platform),
            false,
        )?;
        files::write(
            &a.join("conf/wrapper-override.conf"),
            &files::wrapper_override_conf(&id),
            false,
        )?;
        files::write(
            &a.join("conf/wrapper-jvm.conf"),
            "set.SNC_JVM_ARCH=x86-64\n",
            false,
        )?;
        files::write(
            &a.join("properties/glide.properties"),
            files::GLIDE_PROPERTIES,
            false,
        )?;
        files::write(
            &a.join("security/agent_keystore"),
            "midrescue training-lab stand-in keystore (never bundle this)\n",
            false,
        )?;
        if self.platform == Platform::Linux {
            files::write(
                &a.join("bin/mid.shconf_override"),
                &files::shconf_override(MID_NAME),
                false,
            )?;
        }
        files::write_meta(a, self.platform, version)?;
        for p in files::package_names(self.platform, new) {
            files::write_package_zip(&a.join("package/incoming").join(&p), &p)?;
        }
        for d in [
            "work/monitors/ECCSender/output_error",
            "work/cache",
            "logs",
            "extlib",
        ] {
            std::fs::create_dir_all(a.join(d))?;
        }
        Ok(())
    }

    /// The upgrade temp folder: `upgrade-wrapper/{bin,conf,logs}` and the extracted build.
    fn write_temp(&self, temp: &Path, version: &str, jre: &str) -> anyhow::Result<()> {
        let uw = temp.join("upgrade-wrapper");
        let root = self.root;
        let exe = super::read_lab_info(root)?.exe.unwrap_or_default();
        let script = uw.join("bin").join(script_name(self.platform));
        match self.platform {
            Platform::Linux => files::write(&script, &sh_script(&exe, root), true)?,
            Platform::Windows => {
                files::write(&script, &bat_script(&exe, root), false)?;
                files::write(
                    &uw.join("bin/wrapper-windows-x86-64.exe"),
                    "midrescue training-lab stand-in for the Tanuki wrapper executable.\n\
                     On a lab, midrescue runs the simulated upgrade in its place.\n",
                    false,
                )?;
            }
        }
        files::write(
            &uw.join("conf/wrapper.conf"),
            &files::upgrade_wrapper_conf(self.platform, &self.agent, MID_NAME),
            false,
        )?;
        std::fs::create_dir_all(uw.join("logs"))?;
        std::fs::create_dir_all(uw.join("lib"))?;
        files::write(
            &uw.join("lib/glide-dist-upgrade.jar"),
            &format!("midrescue training-lab stand-in\nbuild={version}\n"),
            false,
        )?;
        files::write_build(&temp.join("agent"), self.platform, version, jre)
    }
}

/// Ordinary history from `from` to `to`: `lph` chatter lines an hour and the hourly upgrade
/// check, settled on `installed`.
fn fill(
    log: &mut AgentLog,
    from: DateTime<Local>,
    to: DateTime<Local>,
    lph: u64,
    installed: &[String; 3],
) -> anyhow::Result<()> {
    let step = chrono::Duration::milliseconds((3_600_000 / lph.max(1)).max(1) as i64);
    let mut t = from;
    let mut next_check = from + chrono::Duration::hours(1);
    let mut i = 0u64;
    while t < to {
        if t >= next_check {
            log.lines(t, &history::package_block(installed, installed, false))?;
            next_check += chrono::Duration::hours(1);
        }
        log.line(t, &history::chatter(i))?;
        i += 1;
        t += step;
    }
    Ok(())
}

/// Quote for a POSIX shell single-quoted word.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The lab's `glide-dist-upgrade.sh`: a real POSIX script that hands over to the simulator.
fn sh_script(exe: &Path, root: &Path) -> String {
    let args: Vec<String> = super::sim::base_args(root, super::SimTarget::Script)
        .iter()
        .map(|a| sh_quote(a))
        .collect();
    format!(
        "#! /bin/sh\n\
         #\n\
         # ServiceNow Platform Distribution Upgrade: midrescue training-lab stand-in.\n\
         # The real script starts the Tanuki wrapper with ../conf/wrapper.conf; in this lab\n\
         # midrescue replays the upgrade on the lab's files instead. Usage: {{ start }}\n\
         #\n\
         exec {} {} \"$@\"\n",
        sh_quote(&exe.to_string_lossy()),
        args.join(" ")
    )
}

/// The lab's `glide-dist-upgrade.bat` (run on a Windows host; on Linux the runner asks
/// `simulator_command` instead).
fn bat_script(exe: &Path, root: &Path) -> String {
    let args: Vec<String> = super::sim::base_args(root, super::SimTarget::Script)
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect();
    format!(
        "@echo off\r\n\
         rem ServiceNow Platform Distribution Upgrade: midrescue training-lab stand-in.\r\n\
         rem The real script drives wrapper-windows-x86-64.exe; in this lab midrescue replays the upgrade.\r\n\
         \"{}\" {} %*\r\n",
        exe.display(),
        args.join(" ")
    )
}
