//! Build facts for `--version`: the target triple and the commit the binary was built from.
//!
//! The commit comes from `MIDRESCUE_COMMIT` when set (CI, source tarballs), else from `git`,
//! else "unknown": a build never fails for want of git.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=MIDRESCUE_COMMIT");
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown-target".to_string());

    let commit = match std::env::var("MIDRESCUE_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => {
            // Rerun when HEAD moves (HEAD itself, the ref it points to) and when the sources
            // change, so that "-dirty" stays true; the crate recompiles then anyway.
            for p in ["build.rs", "Cargo.toml", "Cargo.lock", "src", "assets"] {
                println!("cargo:rerun-if-changed={p}");
            }
            if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
                println!("cargo:rerun-if-changed={head}");
            }
            if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"])
                && let Some(p) = git(&["rev-parse", "--git-path", &r])
            {
                println!("cargo:rerun-if-changed={p}");
            }
            match git(&["rev-parse", "--short=12", "HEAD"]) {
                Some(c) => {
                    // Uncommitted changes to tracked files make the commit alone a lie.
                    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
                    if dirty { format!("{c}-dirty") } else { c }
                }
                None => "unknown".to_string(),
            }
        }
    };
    // Printable ASCII only: it ends up in a terminal.
    let commit: String = commit
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(64)
        .collect();
    println!("cargo:rustc-env=MIDRESCUE_TARGET={target}");
    println!("cargo:rustc-env=MIDRESCUE_COMMIT={commit}");
}
