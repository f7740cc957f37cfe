# Shared helpers for the scripts in .ci/ and scripts/ (sourced, not run).

SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)

log() { printf '== %s\n' "$*" >&2; }

# apt_ensure PKG...: install the Debian packages that are missing (no-op when all are there).
APT_UPDATED=0
apt_ensure() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    "${SUDO[@]}" apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# rustup_target TRIPLE: the target's std, from rustup (once).
rustup_target() {
  rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
  log "rustup target add $1"
  rustup target add "$1"
}
