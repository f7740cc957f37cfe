//! The MID service: who runs it and whether that account can do the upgrade's work, how it
//! starts, systemd's KillMode, and whether wrapper.name names the installed service.

use super::{Context, fact, outcome, said};
use crate::mid::release::Release;
use crate::platform::access::folder_writable_by;
use crate::platform::service::{ServiceState, StartType};
use crate::preflight::{Outcome, Status};

pub fn user_rights(cx: &Context<'_>) -> Outcome {
    let Some((account, source)) = cx.account() else {
        return outcome(
            Status::Warn,
            format!(
                "the service's account could not be read{}",
                cx.setup.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
            ),
        )
        .fix("Check which account runs the MID service and that it can replace agent/bin, lib and jre.");
    };
    if cx.windows() {
        return windows_rights(cx, &account, &source);
    }
    let Some(acct) = cx.facts.account(&account) else {
        return outcome(
            Status::Warn,
            format!(
                "{account} ({source}) is not known on this host: its rights could not be checked"
            ),
        );
    };
    let mut denied = Vec::new();
    for d in ["bin", "lib", "jre"] {
        let p = cx.agent.join(d);
        if folder_writable_by(&p, &acct) == Some(false) {
            denied.push(fact(&p, format!("{account} may not write here")));
        }
    }
    // Root-owned files in a non-root install: what `sudo` left, which the MID's account
    // cannot replace (src/mid/ownership.rs).
    let root_owned =
        crate::mid::ownership::root_owned(&crate::mid::ownership::owners(&cx.agent), acct.uid);
    denied.extend(
        root_owned
            .iter()
            .take(10)
            .map(|p| fact(p, format!("owned by root while the MID runs as {account}"))),
    );
    if denied.is_empty() {
        return outcome(
            Status::Pass,
            format!("{account} ({source}) may replace the files in agent/bin, lib and jre"),
        );
    }
    outcome(
        Status::Fail,
        format!(
            "{account} runs the MID ({source}) but cannot replace every file the upgrade replaces"
        ),
    )
    .with_all(denied)
    .fix(format!(
        "`sudo chown -R {account}: {}` (the install's files belong to the service user).",
        cx.agent.display()
    ))
}

fn windows_rights(cx: &Context<'_>, account: &str, source: &str) -> Outcome {
    let local_system = account.eq_ignore_ascii_case("LocalSystem")
        || account.eq_ignore_ascii_case("NT AUTHORITY\\SYSTEM");
    let before_orlando = cx.release.is_some_and(|r| r < Release::ORLANDO);
    if local_system {
        return outcome(
            Status::Pass,
            format!(
                "the service runs as LocalSystem ({source}): it may stop, start and create the upgrade's service or process"
            ),
        );
    }
    if !before_orlando {
        return outcome(
            Status::Pass,
            format!(
                "the service runs as {account} ({source}); from Orlando the upgrade runs as a normal process, no Administrators membership needed{}",
                if cx.release.is_none() {
                    " (installed version unknown: assumed Orlando or later)"
                } else {
                    ""
                }
            ),
        );
    }
    match cx.facts.administrators() {
        Some(members) => {
            let short = account.rsplit('\\').next().unwrap_or(account);
            let member = members.iter().any(|m| {
                m.eq_ignore_ascii_case(account)
                    || m.rsplit('\\').next().is_some_and(|s| s.eq_ignore_ascii_case(short))
            });
            if member {
                outcome(Status::Pass, format!("{account} is in Administrators (needed before Orlando)"))
            } else {
                outcome(
                    Status::Fail,
                    format!("{account} runs the MID ({source}) and is not in Administrators: before Orlando the upgrade creates a Windows service, which needs it"),
                )
                .with(said(format!("Administrators: {}", members.join(", "))))
                .fix(format!("Add {account} to the local Administrators group for the upgrade, or run the service as LocalSystem."))
            }
        }
        None => outcome(
            Status::Warn,
            format!("{account} runs the MID before Orlando; whether it is in Administrators could not be read"),
        )
        .fix("`net localgroup Administrators` must list the account."),
    }
}

pub fn start_type(cx: &Context<'_>) -> Outcome {
    let raw = said(format!(
        "{}: {}, start {}",
        cx.status.name.as_deref().unwrap_or("service"),
        cx.status.state,
        cx.status
            .start_type
            .map_or("unknown".to_string(), |t| t.to_string())
    ));
    match cx.status.start_type {
        Some(StartType::Auto) => outcome(Status::Pass, "the service starts automatically").with(raw),
        Some(StartType::Manual) => outcome(
            Status::Warn,
            "the service is set to manual start: after a reboot the MID stays down (a recovery may have left it so)",
        )
        .with(raw)
        .fix(if cx.windows() {
            "`sc.exe config <service> start= auto` once no recovery runs."
        } else {
            "`sudo systemctl enable <unit>` once no recovery runs."
        }),
        Some(StartType::Disabled) => outcome(
            Status::Fail,
            "the service is disabled: the upgrade cannot start the MID again",
        )
        .with(raw)
        .fix(if cx.windows() {
            "`sc.exe config <service> start= auto`."
        } else {
            "`sudo systemctl unmask <unit>` and `sudo systemctl enable <unit>`."
        }),
        None => outcome(
            Status::Warn,
            format!(
                "the start type could not be read{}",
                cx.status.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
            ),
        )
        .with(raw),
    }
}

pub fn kill_mode(cx: &Context<'_>) -> Outcome {
    if cx.windows() {
        return outcome(Status::Skip, "Windows services have no KillMode");
    }
    if !cx.setup.systemd {
        return outcome(
            Status::Skip,
            "the MID is not a systemd unit here (init.d or console): KillMode does not apply",
        );
    }
    let unit = cx.status.name.clone().unwrap_or_else(|| "mid".into());
    match cx.setup.kill_mode.as_deref() {
        Some("process") => outcome(Status::Pass, format!("unit {unit}: KillMode=process")),
        Some(other) => outcome(
            Status::Fail,
            format!("unit {unit}: KillMode={other}: stopping the unit kills the detached upgrade process with it, and the upgrade dies halfway"),
        )
        .with(said(format!("systemctl show {unit} -p KillMode: KillMode={other}")))
        .fix(format!(
            "Set `KillMode=process` in the unit (`sudo systemctl edit {unit}`, [Service] KillMode=process), then `sudo systemctl daemon-reload`; mid.shconf's SYSTEMD_KILLMODE=process does the same at install."
        )),
        None => outcome(Status::Warn, format!("unit {unit}: KillMode could not be read")),
    }
}

pub fn wrapper_name(cx: &Context<'_>) -> Outcome {
    let names = crate::mid::confs::read_wrapper_names(&cx.agent);
    let name = cx.status.name.clone().or(names.name.clone());
    let e = said(format!(
        "wrapper.name={}; service {}: {}",
        names.name.as_deref().unwrap_or("(not set)"),
        name.as_deref().unwrap_or("?"),
        cx.status.state
    ));
    if cx.windows() && names.name.is_none() {
        return outcome(
            Status::Fail,
            "wrapper.name is set in neither conf/wrapper-override.conf nor conf/wrapper.conf: the upgrade cannot tell which service to stop and start",
        )
        .fix("Set wrapper.name (and wrapper.displayname) in conf/wrapper-override.conf to the installed service's name.");
    }
    match cx.status.state {
        ServiceState::NotInstalled if cx.windows() => outcome(
            Status::Fail,
            format!(
                "wrapper.name is {} but no such service is installed: the pre-upgrade check aborts (\"Service {} does not exist\")",
                names.name.as_deref().unwrap_or("?"),
                names.name.as_deref().unwrap_or("?")
            ),
        )
        .with(e)
        .fix("Make wrapper.name in conf/wrapper-override.conf the installed service's name (`sc.exe query type= service state= all`), or install the service with start.bat."),
        ServiceState::NotInstalled => outcome(
            Status::Warn,
            format!("no systemd unit or init.d script named {} is installed: the MID runs from a console and nothing restarts it after the upgrade", name.as_deref().unwrap_or("?")),
        )
        .with(e)
        .fix("Install the service (`sudo ./mid.sh install` in agent/bin) so that APP_NAME names it."),
        ServiceState::Unknown => outcome(
            Status::Warn,
            format!(
                "the service could not be asked{}",
                cx.status.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
            ),
        )
        .with(e),
        _ => outcome(
            Status::Pass,
            format!("the service {} is installed", name.as_deref().unwrap_or("?")),
        )
        .with(e),
    }
}
