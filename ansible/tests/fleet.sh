#!/usr/bin/env bash
# The fleet test: N training labs (default 3: two crashed, one healthy; more with N=6, 9, ...)
# as N inventory hosts on this machine (ansible_connection=local, one agent folder and one
# install folder each), then the three playbooks for real, and assertions on what they left:
# the fleet report, the fetched bundles, the rescued labs and the untouched healthy one.
#   ANSIBLE_PLAYBOOK=ansible-playbook MIDRESCUE_BIN=target/release/midrescue ansible/tests/fleet.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-3}
BIN=$(realpath "${MIDRESCUE_BIN:-target/release/midrescue}")
PLAY=${ANSIBLE_PLAYBOOK:-ansible-playbook}
PY=${ANSIBLE_PYTHON:-$(command -v python3)}
[ -x "$BIN" ] || { echo "fleet: no midrescue binary at $BIN (cargo build --release)" >&2; exit 1; }
WORK=$(mktemp -d -t midrescue-fleet.XXXXXX)
chmod 700 "$WORK"
HOSTS=()
cleanup() {
  for h in "${HOSTS[@]}"; do "$BIN" lab stop "$WORK/labs/$h" >/dev/null 2>&1 || true; done
  if [ "${FLEET_KEEP:-0}" = 1 ]; then echo "fleet: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
t() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { printf '%d.%d' $(( ($2 - $1) / 1000 )) $(( ($2 - $1) % 1000 / 100 )); }
T0=$(t)

# Host i: crashed (file-lock-timeout, pre-rome-os-temp, alternating) or, every third, healthy.
scenario_of() { case $(( $1 % 3 )) in 1) echo file-lock-timeout ;; 2) echo pre-rome-os-temp ;; 0) echo healthy ;; esac; }
mkdir -p "$WORK/labs" "$WORK/inst" "$WORK/reports" "$WORK/collections/ansible_collections/midrescue"
# The playbooks name their role midrescue.mid.midrescue: make this checkout that collection.
ln -s "$PWD/ansible" "$WORK/collections/ansible_collections/midrescue/mid"
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections${ANSIBLE_COLLECTIONS_PATH:+:$ANSIBLE_COLLECTIONS_PATH}"
{
  echo "[mids]"
  for i in $(seq 1 "$N"); do
    h=mid$i
    HOSTS+=("$h")
    "$BIN" lab create "$(scenario_of "$i")" "$WORK/labs/$h" --speed 20 >/dev/null
    echo "$h midrescue_agent_dir=$WORK/labs/$h/agent midrescue_install_dir=$WORK/inst/$h midrescue_out_dir=$WORK/out/$h"
  done
  echo
  echo "[mids:vars]"
  echo "ansible_connection=local"
  echo "ansible_python_interpreter=$PY"
  echo "midrescue_binary_src=$BIN"
  echo "midrescue_binary_sha256=$(sha256sum "$BIN" | cut -d' ' -f1)"
  echo "midrescue_timeout=2m"
} > "$WORK/inventory.ini"
T1=$(t)

run() { # run PLAYBOOK [ARGS...]: one playbook, output kept in $WORK/<name>.log
  local name; name=$(basename "$1" .yml)
  echo "== ansible-playbook $* (${N} hosts)"
  (cd "$WORK/reports" && ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=0 \
    "$PLAY" -i "$WORK/inventory.ini" "$OLDPWD/ansible/playbooks/$@") > "$WORK/$name${2:+-check}.log" 2>&1 \
    || { cat "$WORK/$name${2:+-check}.log" >&2; return 1; }
  grep -A"$((N + 2))" '^PLAY RECAP' "$WORK/$name${2:+-check}.log"
}

# The healthy labs' files before anything runs (rescue must leave them as they are).
snapshot() { for h in "${HOSTS[@]}"; do if [ "$(scenario_of "${h#mid}")" = healthy ]; then
  find "$WORK/labs/$h/agent/bin" "$WORK/labs/$h/agent/lib" -type f -exec sha256sum {} + | sort; fi; done; }
snapshot > "$WORK/healthy-before.txt"

run preflight.yml
T2=$(t)
run triage.yml
T3=$(t)
run rescue.yml --check
T4=$(t)
run rescue.yml
T5=$(t)
snapshot > "$WORK/healthy-after.txt"

export WORK N
"$PY" - "$BIN" <<'PY'
import json, os, subprocess, sys, zipfile
work, n, binary = os.environ["WORK"], int(os.environ["N"]), sys.argv[1]
rep = os.path.join(work, "reports", "midrescue-reports")
hosts = [f"mid{i}" for i in range(1, n + 1)]
def scenario(i): return {1: "file-lock-timeout", 2: "pre-rome-os-temp", 0: "healthy"}[i % 3]
fails = []
def need(cond, what):
    if not cond: fails.append(what)

fleet = json.load(open(os.path.join(rep, "fleet-preflight.json")))
need(sorted(fleet) == sorted(hosts), f"fleet report hosts {sorted(fleet)}")
for h, r in fleet.items():
    need(r.get("kind") == "preflight" and len(r["checks"]) == 14, f"{h}: 14 checks")
md = open(os.path.join(rep, "fleet-preflight.md")).read()
for h in hosts:
    need(f"| {h} |" in md, f"markdown lacks a row for {h}")
for cid in fleet[hosts[0]]["checks"]:
    need(cid["id"] in md, f"markdown lacks the column {cid['id']}")

bundles = os.path.join(rep, "bundles")
got = sorted(os.listdir(bundles)) if os.path.isdir(bundles) else []
for i, h in enumerate(hosts, 1):
    zips = [f for f in got if f.startswith(h + "-") and f.endswith(".zip")]
    if scenario(i) == "healthy":
        need(not zips, f"{h} is healthy but has a bundle {zips}")
        continue
    need(zips == [f"{h}-lab-mid-01.zip"], f"{h}: bundle {zips}")
    for z in zips:
        with zipfile.ZipFile(os.path.join(bundles, z)) as zf:
            need(zf.testzip() is None, f"{z}: corrupt entry")
            need("manifest.json" in zf.namelist(), f"{z}: no manifest.json")
        need(os.path.exists(os.path.join(bundles, z + ".sha256")), f"{z}: no .sha256")

for i, h in enumerate(hosts, 1):
    out = subprocess.run([binary, "detect", "--json", "--agent-dir", f"{work}/labs/{h}/agent"],
                         capture_output=True, text=True)
    v = json.loads(out.stdout)["verdict"]
    need(v == "healthy", f"{h} ({scenario(i)}): after rescue detect says {v}")

check_log = open(os.path.join(work, "rescue-check.log")).read()
need("dry run:" in check_log, "rescue --check did not run resume --dry-run")
log = open(os.path.join(work, "rescue.log")).read()
for i, h in enumerate(hosts, 1):
    line = next((l for l in log.splitlines() if l.startswith(h + " ") and "ok=" in l), "")
    changed = int(line.split("changed=")[1].split()[0]) if "changed=" in line else -1
    if scenario(i) == "healthy":
        need(changed == 0, f"{h}: healthy but changed={changed}")
    else:
        need(changed >= 1, f"{h}: crashed but changed={changed}")
    need(" failed=0 " in line, f"{h}: failed in rescue: {line}")
need(open(os.path.join(work, "healthy-before.txt")).read()
     == open(os.path.join(work, "healthy-after.txt")).read(), "a healthy lab's files changed")
for f in fails: print("FAIL", f)
print(f"fleet assertions: {0 if fails else 1} passed, {1 if fails else 0} failed")
sys.exit(1 if fails else 0)
PY
T6=$(t)
echo "fleet timing ($N hosts): labs $(secs "$T0" "$T1")s, preflight $(secs "$T1" "$T2")s, triage $(secs "$T2" "$T3")s, rescue --check $(secs "$T3" "$T4")s, rescue $(secs "$T4" "$T5")s, total $(secs "$T0" "$T6")s"
