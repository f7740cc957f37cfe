//! `lab list` shows the labs you made, `lab clean` removes the stopped ones (and only labs from
//! your registry), with the real binary and a private state folder.

#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Output};

fn midrescue(state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .args(args)
        .env("XDG_STATE_HOME", state)
        .env_remove("SUDO_USER")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn list_shows_made_labs_and_clean_removes_only_stopped_registered_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let lab = tmp.path().join("lab1");
    let o = midrescue(&state, &["lab", "create", "healthy", lab.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // A look-alike lab nobody registered: never removed.
    let planted = tmp.path().join("planted");
    std::fs::create_dir_all(planted.join("agent")).unwrap();
    std::fs::write(
        planted.join("midrescue-lab.json"),
        r#"{"scenario":"healthy","platform":"linux"}"#,
    )
    .unwrap();

    let list = text(&midrescue(&state, &["lab", "list"]));
    assert!(list.contains("file-lock-timeout"), "scenarios: {list}");
    assert!(list.contains("Labs you made:"), "{list}");
    assert!(list.contains(lab.to_str().unwrap()), "{list}");
    assert!(!list.contains("planted"), "{list}");

    // Running labs are kept.
    let running = list.lines().any(|l| l.contains("running"));
    if running {
        let clean = text(&midrescue(&state, &["lab", "clean"]));
        assert!(clean.contains("kept"), "{clean}");
        assert!(lab.exists());
    }
    let o = midrescue(&state, &["lab", "stop", lab.to_str().unwrap()]);
    assert!(o.status.success());
    let list = text(&midrescue(&state, &["lab", "list"]));
    assert!(
        list.lines()
            .any(|l| l.contains("stopped") && l.contains(lab.to_str().unwrap())),
        "{list}"
    );
    let clean = text(&midrescue(&state, &["lab", "clean"]));
    assert!(clean.contains("removed"), "{clean}");
    assert!(!lab.exists(), "the stopped lab is removed");
    assert!(
        planted.exists(),
        "an unregistered look-alike is never touched"
    );
    let list = text(&midrescue(&state, &["lab", "list"]));
    assert!(list.contains("Labs you made: none."), "{list}");
}
