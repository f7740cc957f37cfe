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
