#!/usr/bin/env bash
# The cost of redaction: `classify --json` of one generated mixed
# gateway/istiod log (>= 100 MB), with redaction (the default) and with
# `--no-redact`, both for the hits only (what classify prints by default)
# and for every record (`--all`, where every line goes through the
# redactor). Prints mean wall and user CPU seconds of each and the ratios
# redacted/unredacted, measured together in one hyperfine run so that both
# sides see the same machine load. When valgrind is installed it also
# counts the instructions of each on a 10 MB log of the same generator
# (callgrind): the same count every run, whatever else the machine does.
#
#   bash benches/redaction_cost.sh           # 100 MB, 8 runs each
#   SIZE_MB=10 RUNS=3 bash benches/redaction_cost.sh   # a dry run
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-8}
SEED=${SEED:-42}
DATA=target/bench-data
FILE=$DATA/mixed-${SIZE_MB}mb-seed${SEED}.log
BIN=${BIN:-target/release/aks-gw-logs}
OUT=$DATA/redaction-cost.json
mkdir -p "$DATA"

source benches/common.sh
build_release
ensure_mixed_log "$FILE" "$SIZE_MB" "$SEED"
command -v hyperfine >/dev/null || {
  echo "redaction_cost: needs hyperfine (apt-get install hyperfine)" >&2
  exit 2
}

base="$BIN --no-store classify --json --fail-on never"
hyperfine -N -i --warmup 1 --runs "$RUNS" --output=null --export-json "$OUT" \
  -n hits-redacted "$base $FILE" \
  -n hits-unredacted "$base --no-redact $FILE" \
  -n all-redacted "$base --all $FILE" \
  -n all-unredacted "$base --all --no-redact $FILE" >&2

python3 - "$OUT" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print(f"{'run':<16} {'wall s':>8} {'user s':>8}")
for name, x in r.items():
    print(f"{name:<16} {x['mean']:>8.3f} {x['user']:>8.3f}")
for scope in ("hits", "all"):
    on, off = r[f"{scope}-redacted"], r[f"{scope}-unredacted"]
    print(f"{scope}: redacted/unredacted wall {on['mean'] / off['mean']:.3f}x, user CPU {on['user'] / off['user']:.3f}x")
PY

if command -v valgrind >/dev/null; then
  SMALL=$DATA/mixed-10mb-seed${SEED}.log
  ensure_mixed_log "$SMALL" 10 "$SEED"
  count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null $base "$@" "$SMALL" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  for scope in hits all; do
    flag=""
    [[ $scope == all ]] && flag="--all"
    on=$(count $flag)
    off=$(count $flag --no-redact)
    python3 -c "print(f'$scope: instructions redacted {$on:,} / unredacted {$off:,} = {$on / $off:.3f}x')"
  done
fi
