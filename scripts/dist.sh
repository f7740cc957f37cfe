#!/usr/bin/env bash
# Build the downloadable binaries into dist/, each with its .sha256:
#   dist/midrescue-<version>-x86_64-unknown-linux-musl       static, any Linux MID host (RHEL 7 on)
#   dist/midrescue-<version>-x86_64-pc-windows-gnu.exe       Windows MID hosts
# Installs what it needs (rustup targets, musl-tools, mingw-w64) and checks the Linux binary is
# static and runs. From a clean clone:  scripts/dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

LINUX=x86_64-unknown-linux-musl
WINDOWS=x86_64-pc-windows-gnu
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
[ -n "$VERSION" ] || { echo "dist: no version in Cargo.toml" >&2; exit 1; }

apt_ensure musl-tools gcc-mingw-w64-x86-64-win32 binutils binutils-mingw-w64-x86-64
rustup_target "$LINUX"
rustup_target "$WINDOWS"

mkdir -p dist
ship() { # ship TARGET SUFFIX STRIP: build the release binary for TARGET, copy it into dist/
         # without its debug info (symbols stay, so a panic still names functions), hash it.
  local target=$1 suffix=$2 strip=$3 name
  name="midrescue-$VERSION-$target$suffix"
  log "cargo build --release --target $target"
  # ring compiles C: musl-gcc for the static Linux build, mingw-w64 gcc (cc's default) for Windows.
  if [ "$target" = "$LINUX" ]; then
    CC_x86_64_unknown_linux_musl=musl-gcc cargo build --locked --release --target "$target" --bin midrescue
  else
    cargo build --locked --release --target "$target" --bin midrescue
  fi
  cp "target/$target/release/midrescue$suffix" "dist/$name"
  "$strip" --strip-debug "dist/$name"
  (cd dist && sha256sum "$name" > "$name.sha256")
  log "dist/$name ($(stat -c %s "dist/$name") bytes)"
}
ship "$LINUX" "" strip
ship "$WINDOWS" ".exe" x86_64-w64-mingw32-strip

# The Linux binary must be static (no glibc needed: RHEL 7's is too old for today's builds).
bin="dist/midrescue-$VERSION-$LINUX"
if ldd "$bin" 2>&1 | grep -Eq 'statically linked|not a dynamic executable'; then
  log "$bin: static ($(ldd "$bin" 2>&1 | head -n 1 | sed 's/^[[:space:]]*//'))"
else
  echo "dist: $bin is not static:" >&2; ldd "$bin" >&2 || true; exit 1
fi
"$bin" --version
(cd dist && sha256sum -c -- "midrescue-$VERSION-$LINUX.sha256" "midrescue-$VERSION-$WINDOWS.exe.sha256")
