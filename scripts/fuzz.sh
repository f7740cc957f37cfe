#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 600), JOBS at a time (default: the
# number of cores), and print per target: executions, coverage, corpus size, crashes. Needs
# rustup (installs the nightly toolchain and cargo-fuzz when missing). Crashes land in
# fuzz/artifacts/TARGET/; reproduce one with `cargo +nightly fuzz run TARGET FILE`, then add
# it as a case in tests/prop_*.rs. CI does not run this (it runs the bounded property tests).
#
#   scripts/fuzz.sh            # 10 minutes per target
#   scripts/fuzz.sh 60 redact  # one target, one minute
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(config loglines reverse_lines hostctl table_api redact)
JOBS=${JOBS:-$(nproc)}

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cargo +nightly fuzz build >/dev/null
mkdir -p fuzz/logs
run() {
  local t=$1
  mkdir -p "fuzz/corpus/$t"
  cargo +nightly fuzz run "$t" -- -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
    >"fuzz/logs/$t.log" 2>&1 || true
}
running=0
for t in "${TARGETS[@]}"; do
  run "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

printf '%-14s %8s %12s %8s %8s %8s\n' target seconds executions cov corpus crashes
for t in "${TARGETS[@]}"; do
  log=fuzz/logs/$t.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  crashes=$(find "fuzz/artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '%-14s %8s %12s %8s %8s %8s\n' "$t" "$SECONDS_EACH" "${execs:-?}" "${cov:-?}" "${corp:-?}" "$crashes"
done
