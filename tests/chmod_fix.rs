//! The confirmed `chmod +x` touches only the proven script: on a real lab it makes the script
//! executable; with a link in the temp folder's path, or a folder others may write, it refuses.

#![cfg(unix)]

mod lab_common;

use std::os::unix::fs::PermissionsExt;

use lab_common::Lab;
use midrescue::host::Host;
use midrescue::recovery::fix::{make_executable, script_fix};

fn install(agent: &std::path::Path) -> midrescue::recovery::Install {
    let host = Host::for_install(agent);
    let report = host.detect(agent).unwrap();
    host.install(report)
}

fn script_of(i: &midrescue::recovery::Install) -> std::path::PathBuf {
    i.report.upgrade.as_ref().unwrap().script.clone().unwrap()
}

#[test]
fn chmod_applies_to_the_proven_script_only() {
    let lab = Lab::new("script-not-executable", 50.0);
    let i = install(lab.agent());
    let script = script_of(&i);
    assert!(script_fix(&i).is_some_and(|f| f.needs_chmod));
    let mode = make_executable(&i).unwrap();
    assert!(mode.starts_with("rwx"), "{mode}");
    assert!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o100 != 0);

    // A folder on the way that others may write: the chmod is refused.
    let lab = Lab::new("script-not-executable", 50.0);
    let i = install(lab.agent());
    let wrapper = script_of(&i)
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(script_fix(&i).is_none());
    assert!(make_executable(&i).is_err());
    assert_eq!(
        std::fs::metadata(script_of(&i))
            .unwrap()
            .permissions()
            .mode()
            & 0o111,
        0,
        "nothing changed"
    );
}
