//! What config.xml and package/incoming say: a unique MID name, no pin, the pre-upgrade check
//! on, and sane downloaded packages.

use super::{Context, fact, outcome};
use crate::preflight::{Outcome, Status};

fn config_unread(cx: &Context<'_>) -> Option<Outcome> {
    cx.config_error.as_ref().map(|e| {
        outcome(Status::Warn, format!("config.xml could not be read: {e}"))
            .with(fact(&cx.agent.join("config.xml"), "config.xml"))
    })
}

pub fn name_unique(cx: &Context<'_>) -> Outcome {
    if let Some(o) = config_unread(cx) {
        return o;
    }
    let Some(name) = cx.config.name.clone() else {
        return outcome(Status::Warn, "config.xml gives no MID name");
    };
    let others = cx.facts.other_installs(&cx.agent);
    let same: Vec<_> = others
        .iter()
        .filter(|o| {
            crate::mid::config::read_config(&o.join("config.xml"))
                .ok()
                .and_then(|c| c.name)
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        })
        .collect();
    if !same.is_empty() {
        return outcome(
            Status::Fail,
            format!(
                "{} other install(s) on this host are also named {name}: their upgrades collide (\"The ServiceNow Platform Distribution Upgrade ({name}) service is already started\") and this MID stays on the old version",
                same.len()
            ),
        )
        .with_all(same.iter().map(|p| fact(&p.join("config.xml"), format!("name = {name}"))))
        .fix("Give every MID a unique name (config.xml `name`), restart it, and check the instance's MID Server list for duplicates.");
    }
    outcome(
        Status::Pass,
        format!(
            "no other install on this host is named {name} ({} other install(s) looked at; the instance's ecc_agent list was not asked)",
            others.len()
        ),
    )
}

pub fn pinned(cx: &Context<'_>) -> Outcome {
    if let Some(o) = config_unread(cx) {
        return o;
    }
    match &cx.config.pinned_version {
        Some(v) => outcome(
            Status::Warn,
            format!("mid.pinned.version={v}: this MID will not upgrade with the instance and falls behind it"),
        )
        .with(fact(&cx.agent.join("config.xml"), format!("mid.pinned.version = {v}")))
        .fix("Remove mid.pinned.version (config.xml or the MID's properties) before the instance upgrade, unless the pin is wanted."),
        None => outcome(Status::Pass, "no mid.pinned.version"),
    }
}

pub fn precheck(cx: &Context<'_>) -> Outcome {
    if let Some(o) = config_unread(cx) {
        return o;
    }
    match cx.config.run_precheck {
        Some(false) => outcome(
            Status::Warn,
            "mid.upgrade.run_precheck=false: the pre-upgrade check is skipped, so problems it would catch stop the upgrade halfway instead",
        )
        .with(fact(&cx.agent.join("config.xml"), "mid.upgrade.run_precheck = false"))
        .fix("Remove the parameter (it defaults to true) once the install server is reachable (KB0565184 sets it only for offline upgrades)."),
        _ => outcome(Status::Pass, "the pre-upgrade check runs (mid.upgrade.run_precheck not false)"),
    }
}

pub fn incoming(cx: &Context<'_>) -> Outcome {
    let dir = cx.agent.join("package").join("incoming");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return outcome(
            Status::Pass,
            "no package/incoming folder: packages are downloaded at upgrade time",
        );
    };
    let mut broken = Vec::new();
    let mut cores = Vec::new();
    let mut count = 0usize;
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".zip") {
            continue;
        }
        count += 1;
        let len = e.metadata().map(|m| m.len()).unwrap_or(0);
        let head = crate::mid::smallfile::read_head(&p, 4).unwrap_or_default();
        if len < 22 || !head.starts_with(b"PK") {
            broken.push(fact(
                &p,
                format!("{len} bytes, not a zip: an interrupted download"),
            ));
        }
        if let Some(stamp) = crate::mid::versions::core_buildstamp(&name) {
            cores.push((stamp, p));
        }
    }
    if !broken.is_empty() {
        return outcome(
            Status::Fail,
            format!("{} package(s) in package/incoming are not valid zips: the upgrade would extract a broken build", broken.len()),
        )
        .with_all(broken)
        .fix("Delete them; the MID downloads them again (or put good copies there, KB0565184).");
    }
    let target = cx.opts.target_version.as_deref();
    let installed = cx.installed.as_deref();
    if let Some(t) = target {
        let stale: Vec<_> = cores
            .iter()
            .filter(|(s, _)| s != t && Some(s.as_str()) != installed)
            .collect();
        let has_target = cores.iter().any(|(s, _)| s == t);
        if !stale.is_empty() {
            return outcome(
                Status::Warn,
                format!("package/incoming holds mid-core for other versions than the assigned {t}"),
            )
            .with_all(stale.iter().map(|(s, p)| fact(p, format!("mid-core {s}"))))
            .fix("Remove the stale zips so the upgrade cannot pick one.");
        }
        return outcome(
            Status::Pass,
            if has_target {
                format!("the assigned {t} is already downloaded ({count} zip(s))")
            } else {
                format!("{count} zip(s), none stale; the assigned {t} will be downloaded")
            },
        );
    }
    outcome(
        Status::Pass,
        format!("{count} zip(s), all readable; the assigned version is not known (give --target-version to compare)"),
    )
    .with_all(cores.iter().map(|(s, p)| fact(p, format!("mid-core {s}"))))
}
