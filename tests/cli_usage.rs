//! The command line as an operator meets it: help that teaches, usage errors exit 2.

use std::process::Command;

fn midrescue(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .args(args)
        .output()
        .expect("run midrescue")
}

#[test]
fn top_level_help_names_every_subcommand_and_the_recovery_order() {
    let out = midrescue(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "detect",
        "collect",
        "resume",
        "demo",
        "lab",
        "Do NOT start the MID service",
    ] {
        assert!(text.contains(word), "help lacks {word:?}:\n{text}");
    }
}

#[test]
fn unknown_flag_is_a_usage_error_with_exit_code_2() {
    let out = midrescue(&["detect", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
}

#[test]
fn unknown_subcommand_is_a_usage_error_with_exit_code_2() {
    let out = midrescue(&["repair-everything"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn subcommand_help_shows_examples() {
    for sub in ["detect", "collect", "resume"] {
        let out = midrescue(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help failed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("EXAMPLES"), "{sub} --help has no examples");
    }
}

#[test]
fn unknown_scenarios_and_bad_speeds_are_usage_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lab = dir.path().join("lab");
    for args in [
        vec!["demo", "--scenario", "nope"],
        vec!["demo", "--speed", "0"],
        vec!["demo", "--speed", "fast"],
        vec!["lab", "create", "nope", lab.to_str().unwrap_or("lab")],
    ] {
        let out = midrescue(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        if args.contains(&"nope") {
            assert!(
                err.contains("rerun-fails-again"),
                "names the scenarios: {err}"
            );
        }
    }
    assert!(!lab.exists(), "nothing was built");
}

#[test]
fn a_file_as_agent_dir_gets_the_same_message_as_a_missing_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("config.txt");
    std::fs::write(&file, "x").expect("write");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    for (p, holds, what) in [
        (dir.path().join("missing"), false, "does not exist"),
        (file, false, "is a file"),
        (empty, false, "holds no MID Server install"),
    ] {
        let m = midrescue::mid::advice::agent_dir_problem(&p, holds).expect("a problem");
        assert!(m.contains(what), "{m}");
        // The wizard says it before anything else, as a usage error.
        let out = midrescue(&["--agent-dir", p.to_str().unwrap_or("x")]);
        assert_eq!(out.status.code(), Some(2), "{p:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(what));
        assert!(
            m.contains("--agent-dir takes the MID's `agent` folder"),
            "{m}"
        );
        assert!(m.contains("midrescue demo"), "{m}");
    }
}

#[test]
fn lab_list_only_prints_and_leaves_no_log_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_midrescue"))
        .args(["lab", "list"])
        .env("TMPDIR", tmp.path())
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("rerun-fails-again"));
    assert!(
        !tmp.path().join("midrescue").exists(),
        "a log folder was created"
    );
}

/// `demo` and `lab` build their own install: their help shows no option that would not apply
/// there (such as `--agent-dir`), and the commands that read an install take it before or after
/// the subcommand alike.
#[test]
fn demo_and_lab_help_show_only_options_that_apply() {
    for args in [
        &["demo", "--help"][..],
        &["lab", "--help"],
        &["lab", "create", "--help"],
        &["lab", "list", "--help"],
        &["lab", "stop", "--help"],
    ] {
        let out = midrescue(args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for foreign in [
            "--agent-dir",
            "--out",
            "--dry-run",
            "--instance-user",
            "--timeout",
        ] {
            assert!(!text.contains(foreign), "{args:?} shows {foreign}:\n{text}");
        }
    }
    let demo = String::from_utf8_lossy(&midrescue(&["demo", "--help"]).stdout).into_owned();
    for own in ["--scenario", "--speed", "--no-color", "--keep"] {
        assert!(demo.contains(own), "demo --help lacks {own}:\n{demo}");
    }
    // Given anyway, it is a usage error naming the flag.
    let out = midrescue(&["demo", "--agent-dir", "/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--agent-dir"));
    // Reading commands: before or after the subcommand, the same install (and the same error).
    let missing = "/nonexistent/midrescue-test-install";
    let after = midrescue(&["detect", "--agent-dir", missing]);
    let before = midrescue(&["--agent-dir", missing, "detect"]);
    assert_eq!(after.status.code(), before.status.code());
    assert_eq!(after.stderr, before.stderr);
    assert!(String::from_utf8_lossy(&after.stderr).contains(missing));
}
