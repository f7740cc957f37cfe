//! What midrescue runs as root must be what the upgrade extracted: real trees with symlinks,
//! foreign owners, loose modes and folders outside every temp root are refused.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use midrescue::platform::exec::SystemExec;
use midrescue::platform::provenance::{Bounds, Trust, check};

struct Tree {
    _dir: tempfile::TempDir,
    agent: PathBuf,
    /// Stands in for /tmp: root-owned (when we are root) and sticky, writable by all.
    os_temp: PathBuf,
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let agent = dir.path().join("mid/agent");
    std::fs::create_dir_all(agent.join("work/upgrade_temp")).unwrap();
    let os_temp = dir.path().join("tmp");
    std::fs::create_dir(&os_temp).unwrap();
    std::fs::set_permissions(&os_temp, std::fs::Permissions::from_mode(0o1777)).unwrap();
    Tree {
        _dir: dir,
        agent,
        os_temp,
    }
}

fn bounds(t: &Tree) -> Bounds {
    Bounds {
        temp_roots: vec![t.agent.join("work/upgrade_temp"), t.os_temp.clone()],
        agent_dir: t.agent.clone(),
    }
}

/// `<root>/<id>/upgrade-wrapper/bin/glide-dist-upgrade.sh`, 0755.
fn script_in(root: &Path, id: &str) -> PathBuf {
    let bin = root.join(id).join("upgrade-wrapper/bin");
    std::fs::create_dir_all(&bin).unwrap();
    for d in [
        root.join(id),
        root.join(id).join("upgrade-wrapper"),
        bin.clone(),
    ] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let s = bin.join("glide-dist-upgrade.sh");
    std::fs::write(&s, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).unwrap();
    s
}

fn refused(t: Trust, needle: &str) {
    match t {
        Trust::Refused { reason } => assert!(reason.contains(needle), "{reason}"),
        other => panic!("not refused ({needle}): {other:?}"),
    }
}

#[test]
fn the_install_s_own_temp_folder_and_a_clean_os_temp_folder_are_trusted() {
    let t = tree();
    let s = script_in(&t.agent.join("work/upgrade_temp"), "1700000000000");
    assert_eq!(
        check(&s, &bounds(&t), &SystemExec::default()),
        Trust::Trusted
    );
    let s = script_in(&t.os_temp, "1528126003155-0");
    assert_eq!(
        check(&s, &bounds(&t), &SystemExec::default()),
        Trust::Trusted
    );
}

#[test]
fn a_folder_outside_every_temp_root_is_refused() {
    let t = tree();
    let elsewhere = t.agent.parent().unwrap().join("home-eve");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let s = script_in(&elsewhere, "1-0");
    refused(
        check(&s, &bounds(&t), &SystemExec::default()),
        "not inside this install's work/upgrade_temp nor an OS temp folder",
    );
}

#[test]
fn a_symlink_anywhere_below_the_root_is_refused() {
    let t = tree();
    let real = t.agent.parent().unwrap().join("elsewhere");
    let s = script_in(&real, "1-0");
    std::os::unix::fs::symlink(real.join("1-0"), t.os_temp.join("1-0")).unwrap();
    let through_link = t
        .os_temp
        .join("1-0/upgrade-wrapper/bin/glide-dist-upgrade.sh");
    assert!(through_link.exists() && s.exists());
    refused(
        check(&through_link, &bounds(&t), &SystemExec::default()),
        "symbolic link",
    );
    // The script itself a link.
    let s2 = script_in(&t.os_temp, "2-0");
    std::fs::remove_file(&s2).unwrap();
    std::os::unix::fs::symlink("/bin/sh", &s2).unwrap();
    refused(
        check(&s2, &bounds(&t), &SystemExec::default()),
        "symbolic link",
    );
}

#[test]
fn a_folder_others_can_write_is_refused() {
    let t = tree();
    let s = script_in(&t.os_temp, "1-0");
    std::fs::set_permissions(
        t.os_temp.join("1-0/upgrade-wrapper"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    refused(
        check(&s, &bounds(&t), &SystemExec::default()),
        "can be changed by other accounts (mode 777)",
    );
    std::fs::set_permissions(
        t.os_temp.join("1-0/upgrade-wrapper"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o775)).unwrap();
    refused(check(&s, &bounds(&t), &SystemExec::default()), "mode 775");
}

#[test]
fn a_folder_another_user_made_in_the_os_temp_folder_is_refused() {
    if !is_root() {
        eprintln!("skipped: needs root to give a folder to another user");
        return;
    }
    let t = tree();
    let s = script_in(&t.os_temp, "1528126003155-0");
    // An unprivileged user (nobody) re-created the lost pre-Rome folder.
    let nobody = nix::unistd::Uid::from_raw(65534);
    nix::unistd::chown(&t.os_temp.join("1528126003155-0"), Some(nobody), None).unwrap();
    refused(
        check(&s, &bounds(&t), &SystemExec::default()),
        "neither root nor the MID's account",
    );
}

#[test]
fn a_temp_root_writable_by_all_but_not_sticky_gets_no_exemption() {
    let t = tree();
    std::fs::set_permissions(&t.os_temp, std::fs::Permissions::from_mode(0o777)).unwrap();
    let s = script_in(&t.os_temp, "1-0");
    refused(check(&s, &bounds(&t), &SystemExec::default()), "mode 777");
}
