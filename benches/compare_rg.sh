#!/usr/bin/env bash
# Times `aks-gw-logs classify --count` against `rg -c -f <the same regexes>` on
# one generated mixed gateway/istiod log (>= 100 MB, about 98% benign), one
# file, best of N runs each, and prints both times, the ratio ours/rg, and
# MB/s and lines/s for ours.
#
#   bash benches/compare_rg.sh            # 100 MB, 5 runs each
#   SIZE_MB=200 RUNS=7 bash benches/compare_rg.sh
#   BIN=target/debug/aks-gw-logs NO_BUILD=1 SIZE_MB=10 bash benches/compare_rg.sh   # a dry run
#
# Needs no network except a package registry when ripgrep is missing
# (apt-get, else cargo install). Uses hyperfine when present, else a bash
# loop timed with `date +%s.%N`. Data goes to target/bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-100}
RUNS=${RUNS:-5}
SEED=${SEED:-42}
if ((SIZE_MB < 100)); then
  echo "compare_rg: note: SIZE_MB=$SIZE_MB; the throughput targets are measured on >= 100 MB" >&2
fi

DATA=target/bench-data
FILE=$DATA/mixed-${SIZE_MB}mb-seed${SEED}.log
REGEXES=$DATA/regexes.txt
BIN=${BIN:-target/release/aks-gw-logs}
mkdir -p "$DATA"

source benches/common.sh
build_release

ensure_mixed_log "$FILE" "$SIZE_MB" "$SEED"

say "writing the equivalent regex set to $REGEXES"
"$BIN" patterns list --regexes >"$DATA/regexes.raw.txt"
if [[ ! -s $DATA/regexes.raw.txt ]]; then
  echo "compare_rg: '$BIN patterns list --regexes' printed nothing" >&2
  exit 2
fi
# rg -f joins all patterns into one alternation, where two signatures that
# both name a group `reason` are a "duplicate capture group name" error. The
# names only matter for captures, not for which lines match: make them plain
# groups. (`(?<=`/`(?<!` are untouched: a name starts with a letter or `_`.)
sed -E 's/\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/(?:/g' "$DATA/regexes.raw.txt" >"$REGEXES"

if ! command -v rg >/dev/null 2>&1; then
  say "ripgrep not found; installing it"
  if command -v apt-get >/dev/null 2>&1 && { apt-get install -y ripgrep >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y ripgrep >/dev/null 2>&1; }; }; then
    :
  else
    cargo install --quiet ripgrep
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

BYTES=$(wc -c <"$FILE")
LINES=$(wc -l <"$FILE")
RG_CMD=(rg -c -f "$REGEXES" "$FILE")
# --no-store: rg indexes nothing either (and the user's store stays untouched).
OURS_CMD=("$BIN" classify --count --no-store --no-color "$FILE")

# Sanity run (and a warm page cache): both must work before anything is timed.
# rg exits 1 when nothing matches; classify exits 1 when it finds incidents.
rg_count=$("${RG_CMD[@]}" || true)
ours_out=$("${OURS_CMD[@]}" 2>&1 || true)
if [[ -z $rg_count ]]; then
  echo "compare_rg: rg printed nothing; is the regex set valid for rg?" >&2
  "${RG_CMD[@]}" >/dev/null
fi

# best_of CMD...: prints the best wall time in seconds over $RUNS runs.
best_of() {
  if command -v hyperfine >/dev/null 2>&1; then
    local json
    json=$(mktemp)
    hyperfine --style none --ignore-failure --warmup 1 --runs "$RUNS" -N \
      --export-json "$json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1 ||
      hyperfine --style none --ignore-failure --warmup 1 --runs "$RUNS" \
        --export-json "$json" -- "$(printf '%q ' "$@")" >/dev/null
    grep -o '"min": *[0-9.eE+-]*' "$json" | head -n1 | sed 's/.*: *//'
    rm -f "$json"
  else
    local best="" start end t i
    for ((i = 0; i < RUNS; i++)); do
      start=$(date +%s.%N)
      "$@" >/dev/null 2>&1 || true
      end=$(date +%s.%N)
      t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }')
      if [[ -z $best ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then
        best=$t
      fi
    done
    echo "$best"
  fi
}

timer=$(command -v hyperfine >/dev/null 2>&1 && echo "hyperfine" || echo "bash loop")
say "timing: best of $RUNS runs each ($timer)"
t_rg=$(best_of "${RG_CMD[@]}")
t_ours=$(best_of "${OURS_CMD[@]}")

awk -v bytes="$BYTES" -v lines="$LINES" -v rg="$t_rg" -v ours="$t_ours" \
  -v file="$FILE" -v nre="$(wc -l <"$REGEXES")" -v runs="$RUNS" -v rgm="$rg_count" 'BEGIN {
  mb = bytes / 1048576
  printf "\nfile: %s (%.1f MB, %d lines), %d regexes, best of %d runs\n\n", file, mb, lines, nre, runs
  printf "%-34s %10s %10s %14s\n", "command", "time (s)", "MB/s", "lines/s"
  printf "%-34s %10.3f %10.1f %14.0f\n", "rg -c -f regexes.txt", rg, mb / rg, lines / rg
  printf "%-34s %10.3f %10.1f %14.0f\n", "aks-gw-logs classify --count", ours, mb / ours, lines / ours
  printf "\nratio ours/rg: %.2fx (target <= 1.5x); ours: %.1f MB/s, %.0f lines/s (target >= 1000000)\n", ours / rg, mb / ours, lines / ours
  printf "rg matching lines: %s\n", rgm
}'
printf '\naks-gw-logs classify --count:\n%s\n' "$ours_out"

# Soundness of the prefilter on this file: the hits per signature with lines
# skipped unparsed (`--count`) must equal those with every line parsed (`--all`).
if command -v python3 >/dev/null 2>&1; then
  say "checking that skipping lines changed no hit (--count vs --all)"
  "$BIN" classify --count --no-store --json "$FILE" >"$DATA/count.jsonl" || true
  "$BIN" classify --all --no-store --json "$FILE" | python3 -c '
import collections, json, sys
count = {json.loads(l)["signature"]: json.loads(l)["count"] for l in open(sys.argv[1])}
full = collections.Counter()
for line in sys.stdin:
    sig = json.loads(line)["signature"]
    if sig:
        full[sig] += 1
same = count == dict(full)
print("prefilter soundness: %s (%d hits with skipping, %d with every line parsed)"
      % ("identical" if same else "DIFFERENT", sum(count.values()), sum(full.values())))
sys.exit(0 if same else 1)
' "$DATA/count.jsonl"
fi
