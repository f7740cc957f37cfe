#!/usr/bin/env bash
# Type-check and lint the whole project (lib, bin, tests, benches) for Windows from Linux:
#   cargo clippy --all-targets --target x86_64-pc-windows-gnu -- -D warnings
# Installs what it needs: rustup's x86_64-pc-windows-gnu std and mingw-w64's gcc (the `ring`
# crate compiles C for the target in its build script, even under `cargo check`).
# Exit status non-zero on any compile error or clippy warning. Output goes to
# target/x86_64-pc-windows-gnu, apart from the Linux build.
#
#   .ci/windows-check.sh            # from anywhere in the repo
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

TARGET=x86_64-pc-windows-gnu
apt_ensure gcc-mingw-w64-x86-64-win32
rustup_target "$TARGET"
rustup component add clippy >/dev/null 2>&1 || true

log "cargo clippy --all-targets --target $TARGET -- -D warnings"
cargo clippy --locked --all-targets --target "$TARGET" -- -D warnings
