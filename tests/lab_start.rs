//! The course's classic mistake, "start the MID service", exists only in the lab's own service
//! control: on a lab it does what the real MID would (the temp folder and its logs are gone and
//! the install stays broken); a real install's host offers no start at all.

mod lab_common;

use lab_common::{Lab, detect};
use midrescue::host::Host;

#[test]
fn starting_the_lab_service_deletes_the_temp_folder_and_leaves_the_mid_broken() {
    let l = Lab::new("file-lock-timeout", 10.0);
    let temp = midrescue::lab::read_lab_info(l.root())
        .unwrap()
        .temp_dir
        .expect("the crashed lab has a temp folder");
    assert!(temp.is_dir());
    let host = Host::for_install(l.agent());
    let start = host
        .lab_service()
        .expect("a lab offers its start")
        .start_like_the_real_service()
        .expect("the lab service starts");
    assert_eq!(start.temp_dir.as_deref(), Some(temp.as_path()));
    assert!(!temp.exists(), "the temp folder must be gone");
    assert!(
        start
            .lost_logs
            .iter()
            .any(|l| l.ends_with("glide-dist-upgrade.log")),
        "lost logs: {:?}",
        start.lost_logs
    );
    let wrapper = std::fs::read_to_string(l.agent().join("logs/wrapper.log")).unwrap();
    assert!(wrapper.contains("Giving up"), "{wrapper}");

    let logs = tempfile::tempdir().unwrap();
    let report = detect(l.agent(), logs.path());
    assert_eq!(report["verdict"], "temp_folder_lost", "{report:#}");

    // A second start finds nothing left to lose, and says so.
    let again = host
        .lab_service()
        .unwrap()
        .start_like_the_real_service()
        .unwrap();
    assert_eq!(again.temp_dir, None);
    assert!(again.lost_logs.is_empty());
}

#[test]
fn the_lab_refuses_a_start_where_the_real_service_would_not_lose_the_temp_folder() {
    for name in ["healthy", "upgrade-in-progress", "temp-folder-lost"] {
        let l = Lab::new(name, 10.0);
        let host = Host::for_install(l.agent());
        let err = host
            .lab_service()
            .expect("a lab")
            .start_like_the_real_service()
            .expect_err(name);
        assert!(!format!("{err:#}").is_empty());
    }
}

#[test]
fn a_real_install_offers_no_service_start() {
    // A copy of a lab's install is not a lab: midrescue did not make it where it is.
    let l = Lab::new("file-lock-timeout", 10.0);
    let real = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(l.agent())
        .arg(real.path().join("agent"))
        .status()
        .unwrap();
    assert!(status.success());
    let host = Host::for_install(&real.path().join("agent"));
    assert!(host.lab_root.is_none());
    assert!(
        host.lab_service().is_none(),
        "a real install must not get the lab's start"
    );
}
