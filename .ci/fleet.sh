#!/usr/bin/env bash
# The fleet step of CI: ansible-core, the ansible package's collections (ansible.windows for the
# WinRM tasks) and ansible-lint from PyPI in a venv, then ansible-lint (production profile) on
# ansible/ and the local fleet test (ansible/tests/fleet.sh: three labs as three hosts, the
# three playbooks for real). Needs target/release/midrescue (built here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

VENV=${MIDRESCUE_ANSIBLE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/midrescue-ansible-venv}
# Versions this was tested with; pinned so a new release cannot break CI unannounced.
PKGS=(ansible-core==2.19.14 ansible==12.3.0 ansible-lint==26.10.1)
if ! "$VENV/bin/ansible-lint" --version 2>/dev/null | grep -q 26.10.1; then
  python3 -m venv "$VENV" 2>/dev/null || { apt_ensure python3-venv; python3 -m venv "$VENV"; }
  log "pip install ${PKGS[*]}"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PKGS[@]}"
fi
[ -x target/release/midrescue ] || cargo build --locked --release --bin midrescue

COLL=$(mktemp -d -t midrescue-coll.XXXXXX)
trap 'rm -rf "$COLL"' EXIT
mkdir -p "$COLL/ansible_collections/midrescue"
ln -s "$PWD/ansible" "$COLL/ansible_collections/midrescue/mid"
log "ansible-lint (production profile)"
(cd ansible && ANSIBLE_COLLECTIONS_PATH="$COLL" PATH="$VENV/bin:$PATH" \
  timeout 300 ansible-lint --nocolor --profile production 2>&1 | grep -v 'Cryptography\|from cryptography\|PATH altered')
log "fleet test"
ANSIBLE_PLAYBOOK="$VENV/bin/ansible-playbook" ANSIBLE_PYTHON="$VENV/bin/python" \
  PATH="$VENV/bin:$PATH" timeout 600 ansible/tests/fleet.sh
