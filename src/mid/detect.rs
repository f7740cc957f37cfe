//! `detect`: read everything about one install and diagnose it. Read-only: files are opened,
//! read and closed; the only processes run are the service control's status queries.

use std::path::{Path, PathBuf};

use crate::mid::diagnosis::{self, Facts};
use crate::mid::evidence::Hit;
use crate::mid::report::{
    Attribution, DetectReport, Evidence, FindingCode, SCHEMA_VERSION, ServiceReport, TempDirSource,
    UpgradeReport,
};
use crate::mid::{
    config, confs, install, libstate, logscan, ownership, revlines, tempdir, versions,
};
use crate::platform::Platform;
use crate::platform::service::ServiceControl;
use crate::platform::service::ServiceState;

/// What detect needs to know about the world around an install. The composition root (`host`)
/// provides it: this host's service control, or a lab's simulated one.
pub trait Surroundings {
    /// The platform the install is laid out for.
    fn platform(&self) -> Platform;
    fn service(&self) -> &dyn ServiceControl;
    /// The lab root, when the install is a training lab midrescue made.
    fn lab_root(&self) -> Option<&Path>;
}

/// Where detect looks outside the install. Defaults are the host's; tests and labs narrow them.
#[derive(Debug, Clone, Default)]
pub struct DetectOptions {
    /// OS temp folders scanned for pre-Rome upgrade temp folders.
    pub os_temp_dirs: Vec<PathBuf>,
    /// Root under which systemd unit folders are looked for (`/` on a host).
    pub systemd_root: Option<PathBuf>,
    /// `/etc/passwd`-format file to resolve `RUN_AS_USER` (Linux hosts).
    pub passwd_file: Option<PathBuf>,
}

impl DetectOptions {
    /// The places for an install on `host`: the lab's own folders for a lab, else the OS's.
    pub fn for_host(host: &dyn Surroundings) -> Self {
        match host.lab_root() {
            Some(root) => DetectOptions {
                os_temp_dirs: ["tmp", "var/tmp", "Windows/Temp", "WINDOWS/TEMP"]
                    .iter()
                    .map(|d| root.join(d))
                    .collect(),
                systemd_root: Some(root.to_path_buf()),
                passwd_file: None,
            },
            None => DetectOptions {
                os_temp_dirs: tempdir::default_os_temp_dirs(host.platform()),
                systemd_root: (host.platform() == Platform::Linux && cfg!(unix))
                    .then(|| PathBuf::from("/")),
                passwd_file: (host.platform() == Platform::Linux && cfg!(unix))
                    .then(|| PathBuf::from("/etc/passwd")),
            },
        }
    }
}

/// Detect the state of the install in `agent_dir` (the `agent` folder or its parent).
pub fn detect(agent_dir: &Path, host: &dyn Surroundings) -> anyhow::Result<DetectReport> {
    detect_with(agent_dir, host, &DetectOptions::for_host(host))
}

/// `detect` with explicit places to look.
pub fn detect_with(
    dir: &Path,
    host: &dyn Surroundings,
    opts: &DetectOptions,
) -> anyhow::Result<DetectReport> {
    let mut report = read_and_diagnose(dir, host, opts)?;
    scrub(&mut report);
    Ok(report)
}

/// Every text read from the install made fit for a screen, a JSON consumer and a bundle:
/// secrets masked (a `user:password@` URL, a password in a log line) and control characters
/// replaced. Paths are left as they are: they must stay usable.
fn scrub(r: &mut DetectReport) {
    use crate::mid::evidence::clean_text;
    let fields = [
        &mut r.mid_name,
        &mut r.instance_url,
        &mut r.installed_version,
        &mut r.target_version,
        &mut r.service.name,
        &mut r.service.display_name,
    ];
    for s in fields.into_iter().flatten() {
        *s = clean_text(s);
    }
    let marker = r.upgrade.as_mut().and_then(|u| u.marker_line.as_mut());
    let evidence = r.findings.iter_mut().flat_map(|f| f.evidence.iter_mut());
    for e in marker.into_iter().chain(evidence) {
        e.text = clean_text(&e.text);
    }
}

fn read_and_diagnose(
    dir: &Path,
    host: &dyn Surroundings,
    opts: &DetectOptions,
) -> anyhow::Result<DetectReport> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a folder (or cannot be read)", dir.display());
    }
    let dir = std::path::absolute(dir)?;
    let platform = host.platform();
    let Some(agent_dir) = install::resolve_agent_dir(&dir) else {
        let (verdict, findings) = diagnosis::diagnose(&Facts::not_an_install(platform));
        return Ok(DetectReport {
            schema_version: SCHEMA_VERSION,
            agent_dir: dir,
            platform,
            mid_name: None,
            instance_url: None,
            installed_version: None,
            target_version: None,
            service: ServiceReport {
                name: None,
                display_name: None,
                state: ServiceState::Unknown,
                start_type: None,
                upgrade_process_running: false,
            },
            upgrade: None,
            lib: crate::mid::report::LibState::Missing,
            verdict,
            findings,
            elevated: elevated(host),
            temp_dir_attribution: None,
            unattributed_temp_dirs: Vec::new(),
        });
    };

    let cfg = match config::read_config(&agent_dir.join("config.xml")) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!("config.xml: {e:#}");
            None
        }
    };
    let names = confs::read_wrapper_names(&agent_dir);
    let installed_version = versions::installed_version(&agent_dir);

    // The service query and the process list each wait for a process (PowerShell's list for
    // seconds on Windows): both at once.
    let svc = host.service();
    let (status, listed) = std::thread::scope(|s| {
        let listed = s.spawn(|| svc.upgrade_processes());
        let status = svc.query();
        match listed.join() {
            Ok(l) => (status, l),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    if let Some(n) = &status.note {
        tracing::info!("service state: {n}");
    }

    // Logs, newest first.
    let logs = agent_dir.join("logs");
    let mut agent = logscan::scan_agent_logs(&logs);
    for (f, e) in &agent.errors {
        tracing::warn!("cannot read {}: {e}", f.display());
    }
    // KB0792621: someone started the service on a half-upgraded install. The start line hides
    // the upgrade, but the version it was heading for is still not the installed one.
    let started_mid_upgrade = started_on_unfinished_upgrade(&agent, installed_version.as_deref());
    if started_mid_upgrade {
        agent.marker = agent.marker_before_start.clone();
        agent.assigned = agent.assigned_before_start.clone();
    }
    let upgrade_began = agent.marker.is_some() || agent.bootstrapping.is_some();

    // The temp folder: marker first, else scan. Only a folder tied to this install is used
    // (`tempdir::attribution`); others found by scanning are listed as unattributed.
    let from_marker = agent.marker.as_ref().and_then(|m| {
        tempdir::marker_path(&m.text)
            .map(|raw| tempdir::resolve_marker_path(raw, &agent_dir, platform))
    });
    let scan = tempdir::scan_temp_dirs(&agent_dir, &opts.os_temp_dirs);
    let (temp_dir, temp_source, temp_exists, attribution) = match from_marker {
        Some((p, true)) => {
            // The install's own log names this exact folder.
            let a = match tempdir::attribution(&p, &agent_dir) {
                Attribution::Unattributed => Attribution::ByMarker,
                a => a,
            };
            (Some(p), Some(TempDirSource::Marker), true, Some(a))
        }
        Some((p, false)) => {
            // The path does not exist here as written (e.g. `C:\WINDOWS\TEMP\<n>` read on
            // another host): a folder of the same name in the scanned places is the same one,
            // whichever is newest.
            let named = p
                .to_str()
                .and_then(tempdir::marker_name)
                .and_then(|n| tempdir::find_named(&agent_dir, &opts.os_temp_dirs, n));
            match named {
                Some((s, a)) => (Some(s), Some(TempDirSource::Scan), true, Some(a)),
                None => (Some(p), Some(TempDirSource::Marker), false, None),
            }
        }
        None => match scan.chosen.clone() {
            Some((s, a)) => (Some(s), Some(TempDirSource::Scan), true, Some(a)),
            None => (None, None, false, None),
        },
    };
    let unattributed_temp_dirs: Vec<PathBuf> = scan
        .unattributed
        .into_iter()
        .filter(|u| Some(u) != temp_dir.as_ref())
        .collect();
    for u in &unattributed_temp_dirs {
        tracing::info!(
            "{}: an upgrade temp folder that names another install (or none): not used",
            u.display()
        );
    }
    let (upgrade_process_running, upgrade_process_unattributed) = upgrade_processes(
        host,
        listed,
        &agent_dir,
        temp_dir.as_deref().filter(|_| temp_exists),
    );
    let log_lock_live = logscan::log_lock_live(&logs, std::time::SystemTime::now());
    let files = temp_dir
        .as_deref()
        .filter(|_| temp_exists)
        .map(|t| tempdir::inspect(t, platform));

    // Wrapper logs and the upgrade log: failure lines since the upgrade began (or the MID started).
    // An upgrade: from a little before it began. No upgrade since the last start: from that
    // start exactly, so the glide-dist-upgrade.log a finished upgrade appended to wrapper.log
    // just before starting the MID (lock retries and all) is not reported again.
    // Instants: an ISO agent line carries its offset, a wrapper line is host local time.
    let cutoff = match agent.bootstrapping.as_ref().or(agent.marker.as_ref()) {
        Some(h) => h.time.map(|t| t - chrono::Duration::minutes(2)),
        None => agent.last_start.as_ref().and_then(|h| h.time),
    };
    // `wrapper.txt` is the name some installs (and the docs) use for the same log.
    let mut wrapper_files = logscan::generations(&logs, "wrapper.log");
    wrapper_files.extend(logscan::generations(&logs, "wrapper.txt"));
    let wrapper = logscan::scan_signatures(&wrapper_files, cutoff, logscan::WRAPPER_BUDGET);
    // agent/logs/dist-upgrade.log keeps the upgrade's part of the log in the install: the
    // evidence that survives a lost temp folder.
    let dist_upgrade = logscan::scan_signatures(
        &logscan::generations(&logs, "dist-upgrade.log"),
        cutoff,
        logscan::WRAPPER_BUDGET,
    );
    let upgrade_log = files.as_ref().and_then(|f| f.upgrade_log.clone());
    // The upgrade wrapper rolls its log like any Tanuki log (`glide-dist-upgrade.log.1`).
    let upgrade_logs = temp_dir
        .as_deref()
        .filter(|_| temp_exists)
        .map(|t| logscan::generations(&t.join("upgrade-wrapper/logs"), "glide-dist-upgrade.log"))
        .unwrap_or_default();
    let upgrade_scan = logscan::scan_signatures(&upgrade_logs, None, logscan::WRAPPER_BUDGET);

    for (f, e) in wrapper
        .errors
        .iter()
        .chain(&dist_upgrade.errors)
        .chain(&upgrade_scan.errors)
    {
        tracing::warn!("cannot read {}: {e}", f.display());
    }
    if wrapper.budget_exhausted {
        tracing::info!("wrapper logs: stopped after {} bytes", wrapper.bytes_read);
    }

    // Targets and lib.
    let target_version = temp_dir
        .as_deref()
        .filter(|_| temp_exists)
        .and_then(versions::version_in_temp)
        .or_else(|| {
            upgrade_began
                .then(|| versions::version_in_incoming(&agent_dir, installed_version.as_deref()))
                .flatten()
        })
        .or_else(|| {
            agent
                .assigned
                .as_ref()
                .and_then(|a| versions::assigned_core_version(&a.text))
        })
        .or_else(|| {
            // The upgrade/downgrade loop's line names the assigned build itself.
            agent
                .hits
                .iter()
                .chain(&wrapper.hits)
                .filter(|(c, _)| *c == FindingCode::UpgradeScenarioUnknown)
                .find_map(|(_, h)| {
                    crate::mid::signatures::scenario_buildstamps(&h.text)
                        .and_then(|(_, assigned)| assigned)
                        .map(str::to_string)
                })
        });
    let lib = libstate::check_lib(&agent_dir, temp_dir.as_deref().filter(|_| temp_exists));
    let lib_evidence = (lib.state != crate::mid::report::LibState::Intact).then(|| Evidence {
        file: agent_dir.join("lib"),
        line: 0,
        text: lib_text(&lib),
    });

    // Systemd unit KillMode (Linux): the installed unit, else what `mid.sh install` would
    // write from `SYSTEMD_KILLMODE` in mid.shconf[_override].
    let shconf = confs::read_shconf(&agent_dir);
    let unit_kill_mode = opts.systemd_root.as_ref().and_then(|root| {
        let unit = shconf
            .app_name
            .clone()
            .or_else(|| status.name.clone())
            .unwrap_or_else(|| "mid".into());
        let (path, u) = confs::read_unit(root, &unit)?;
        let mode = u.kill_mode?;
        let line = line_of(&path, "KillMode");
        Some((
            mode.clone(),
            Evidence {
                file: path,
                line,
                text: format!("KillMode={mode}"),
            },
        ))
    });
    let kill_mode = unit_kill_mode.or_else(|| {
        let mode = shconf.systemd_killmode.clone()?;
        if platform != Platform::Linux {
            return None;
        }
        let file = ["bin/mid.shconf_override", "bin/mid.shconf"]
            .iter()
            .map(|f| agent_dir.join(f))
            .find(|f| line_of(f, "SYSTEMD_KILLMODE") > 0)?;
        Some((
            mode.clone(),
            Evidence {
                line: line_of(&file, "SYSTEMD_KILLMODE"),
                file,
                text: format!("SYSTEMD_KILLMODE={mode}"),
            },
        ))
    });
    let wrapper_name_evidence = names.name.as_ref().map(|n| {
        let over = agent_dir.join("conf/wrapper-override.conf");
        let file = if over.is_file() {
            over
        } else {
            agent_dir.join("conf/wrapper.conf")
        };
        Evidence {
            line: line_of(&file, "wrapper.name"),
            file,
            text: format!("wrapper.name={n}"),
        }
    });

    // Resolve line numbers of every kept line, one pass per file.
    let mut hits: Vec<(Option<FindingCode>, Hit)> = Vec::new();
    for h in [
        &agent.marker,
        &agent.bootstrapping,
        &agent.last_start,
        &agent.last_stop,
    ]
    .into_iter()
    .flatten()
    {
        hits.push((None, h.clone()));
    }
    for (c, h) in agent
        .hits
        .iter()
        .chain(&wrapper.hits)
        .chain(&dist_upgrade.hits)
        .chain(&upgrade_scan.hits)
    {
        hits.push((Some(*c), h.clone()));
    }
    resolve_line_numbers(&mut hits);
    let find = |h: &Option<Hit>| {
        h.as_ref().and_then(|h| {
            hits.iter()
                .find(|(c, x)| c.is_none() && x.file == h.file && x.offset == h.offset)
                .map(|(_, x)| x.clone())
        })
    };
    let marker = find(&agent.marker);
    let bootstrapping = find(&agent.bootstrapping);
    let last_start = find(&agent.last_start);
    let last_stop = find(&agent.last_stop);

    let facts = Facts {
        is_install: true,
        platform,
        service_name: status.name.clone().or(names.name.clone()),
        service_state: status.state,
        start_type: status.start_type,
        upgrade_process_running,
        upgrade_process_unattributed,
        log_lock_live,
        marker: marker.as_ref().map(Hit::evidence),
        bootstrapping: bootstrapping.as_ref().map(Hit::evidence),
        last_start: last_start.as_ref().map(Hit::evidence),
        last_stop: last_stop.as_ref().map(Hit::evidence),
        started_mid_upgrade: started_mid_upgrade
            .then(|| last_start.as_ref().map(Hit::evidence))
            .flatten(),
        temp_dir: temp_dir.clone(),
        temp_dir_exists: temp_exists,
        script: files.as_ref().map(|f| f.script.clone()),
        script_exists: files.as_ref().is_some_and(|f| f.script_exists),
        script_executable: files.as_ref().and_then(|f| f.script_executable),
        lib: lib.state,
        lib_evidence,
        kill_mode,
        wrapper_name_evidence,
        hits: hits
            .iter()
            .filter_map(|(c, h)| c.map(|c| (c, h.evidence())))
            .collect(),
        root_owned: root_owned_evidence(&agent_dir, opts),
    };
    let (verdict, findings) = diagnosis::diagnose(&facts);

    let upgrade = (upgrade_began || temp_dir.is_some()).then(|| UpgradeReport {
        temp_dir: temp_dir.clone(),
        temp_dir_source: temp_source,
        marker_line: marker.as_ref().map(Hit::evidence),
        script: files.as_ref().map(|f| f.script.clone()).or_else(|| {
            temp_dir.as_ref().map(|t| {
                let name = match platform {
                    Platform::Windows => "glide-dist-upgrade.bat",
                    Platform::Linux => "glide-dist-upgrade.sh",
                };
                t.join("upgrade-wrapper/bin").join(name)
            })
        }),
        script_exists: facts.script_exists,
        script_executable: facts.script_executable,
        wrapper_conf: files.as_ref().and_then(|f| f.wrapper_conf.clone()),
        wrapper_exe: files.as_ref().and_then(|f| f.wrapper_exe.clone()),
        upgrade_log,
        started_at: bootstrapping.or(marker).and_then(|h| h.rfc3339),
    });

    Ok(DetectReport {
        schema_version: SCHEMA_VERSION,
        agent_dir,
        platform,
        mid_name: cfg.as_ref().and_then(|c| c.name.clone()),
        instance_url: cfg.as_ref().and_then(|c| c.url.clone()),
        installed_version,
        target_version,
        service: ServiceReport {
            name: status.name.or(names.name),
            display_name: status.display_name.or(names.display_name),
            state: status.state,
            start_type: status.start_type,
            upgrade_process_running,
        },
        upgrade,
        lib: lib.state,
        verdict,
        findings,
        elevated: elevated(host),
        temp_dir_attribution: attribution.filter(|_| temp_exists),
        unattributed_temp_dirs,
    })
}

/// Windows: whether midrescue runs elevated (`None` elsewhere, in a lab, or when unknown).
fn elevated(host: &dyn Surroundings) -> Option<bool> {
    if host.platform() != Platform::Windows || host.lab_root().is_some() || !cfg!(windows) {
        return None;
    }
    crate::platform::privilege::is_elevated(&crate::platform::exec::SystemExec::default())
}

/// Whether an upgrade process of THIS install runs (its command line or working folder names
/// the install or its temp folder), and the first one that runs but is not attributed.
/// `listed`: the upgrade processes the service control listed (`None`: it cannot list).
fn upgrade_processes(
    host: &dyn Surroundings,
    listed: Option<Vec<crate::platform::service::processes::ProcessInfo>>,
    agent_dir: &Path,
    temp_dir: Option<&Path>,
) -> (bool, Option<Evidence>) {
    let Some(list) = listed else {
        // A control that cannot list processes answers for its own install (a lab).
        return (host.service().upgrade_process_running(), None);
    };
    let (mine, others): (Vec<_>, Vec<_>) = list
        .iter()
        .partition(|p| tempdir::process_attributed(p, agent_dir, temp_dir));
    let note = others.first().map(|p| {
        let mut cmd: String = p.command_line.chars().take(300).collect();
        if p.command_line.chars().count() > 300 {
            cmd.push_str("...");
        }
        Evidence {
            file: PathBuf::new(),
            line: 0,
            text: format!(
                "an upgrade process runs on this host (not attributed): pid {} {cmd}",
                p.pid
            ),
        }
    });
    (!mine.is_empty(), note)
}

/// Root-owned files when `RUN_AS_USER` names a non-root user (at most 5 listed).
fn root_owned_evidence(agent_dir: &Path, opts: &DetectOptions) -> Vec<Evidence> {
    let Some(passwd) = opts.passwd_file.as_ref() else {
        return Vec::new();
    };
    let Some(user) = confs::read_shconf(agent_dir).run_as_user else {
        return Vec::new();
    };
    let Some(uid) = std::fs::read(passwd)
        .ok()
        .and_then(|t| ownership::uid_of_user(&String::from_utf8_lossy(&t), &user))
    else {
        return Vec::new();
    };
    ownership::root_owned(&ownership::owners(agent_dir), uid)
        .into_iter()
        .take(5)
        .map(|p| Evidence {
            file: p,
            line: 0,
            text: format!("owned by root; the service runs as {user} (uid {uid})"),
        })
        .collect()
}

fn lib_text(lib: &libstate::LibCheck) -> String {
    match (&lib.compared_with, lib.files) {
        (_, 0) => "agent/lib is empty or missing".into(),
        (Some(pkg), _) => {
            let shown: Vec<&str> = lib.missing.iter().take(5).map(String::as_str).collect();
            format!(
                "{} file(s) of the package lib {} are missing here: {}{}",
                lib.missing.len(),
                pkg.display(),
                shown.join(", "),
                if lib.missing.len() > 5 { ", ..." } else { "" }
            )
        }
        (None, n) => format!("agent/lib holds only {n} file(s)"),
    }
}

/// 1-based number of the last line assigning `key` (the assignment that wins); 0 when none.
fn line_of(path: &Path, key: &str) -> u64 {
    let Ok(bytes) = crate::mid::smallfile::read(path) else {
        return 0;
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .enumerate()
        .filter(|(_, l)| confs::key_value(l).is_some_and(|(k, _)| k == key))
        .last()
        .map_or(0, |(i, _)| i as u64 + 1)
}

fn resolve_line_numbers(hits: &mut [(Option<FindingCode>, Hit)]) {
    let mut files: Vec<PathBuf> = hits.iter().map(|(_, h)| h.file.clone()).collect();
    files.sort();
    files.dedup();
    for f in files {
        let idx: Vec<usize> = (0..hits.len()).filter(|&i| hits[i].1.file == f).collect();
        let offsets: Vec<u64> = idx.iter().map(|&i| hits[i].1.offset).collect();
        match revlines::line_numbers(&f, &offsets) {
            Ok(lines) => {
                for (i, l) in idx.into_iter().zip(lines) {
                    hits[i].1.line = l;
                }
            }
            Err(e) => tracing::warn!("line numbers of {}: {e}", f.display()),
        }
    }
}

/// Whether the newest MID start came after an upgrade marker whose target version never got
/// installed (the service was started on a half-upgraded install, KB0792621).
fn started_on_unfinished_upgrade(agent: &logscan::AgentLogFacts, installed: Option<&str>) -> bool {
    if agent.marker.is_some()
        || agent.bootstrapping.is_some()
        || agent.marker_before_start.is_none()
    {
        return false;
    }
    let target = agent
        .assigned_before_start
        .as_ref()
        .and_then(|a| versions::assigned_core_version(&a.text));
    matches!((target, installed), (Some(t), Some(i)) if t != i)
}
