#!/usr/bin/env bash
# Times `aks-gw-logs bundle analyze` on a generated istioctl bug-report
# `.tar.gz` of SIZE_MB MB of logs (default 1000) beside `tar -xzf` of the
# same archive followed by `rg -c -f <the same regexes>` over the extracted
# tree, in the same run, and prints both times, their ratio, and the peak
# memory (max RSS) of `bundle analyze`.
#
#   bash benches/bundle_vs_tar_rg.sh             # 1000 MB of logs
#   SIZE_MB=200 bash benches/bundle_vs_tar_rg.sh # a quicker look
#
# Needs tar, gzip, /usr/bin/time and ripgrep (installed like compare_rg.sh
# does when missing). Data goes to target/bench-data/.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-1000}
DATA=target/bench-data
BIN=target/release/aks-gw-logs
PART_MB=100
PARTS=$(((SIZE_MB + PART_MB - 1) / PART_MB))
BUNDLE=$DATA/bug-report-${SIZE_MB}mb.tar.gz
mkdir -p "$DATA"

source benches/common.sh
build_release
if ! command -v rg >/dev/null 2>&1; then
  say "ripgrep not found; installing it"
  apt-get install -y ripgrep >/dev/null 2>&1 || cargo install --quiet ripgrep
fi

if [[ ! -s $BUNDLE ]]; then
  PART=$DATA/mixed-${PART_MB}mb-seed42.log
  ensure_mixed_log "$PART" "$PART_MB" 42
  TREE=$(mktemp -d)
  say "building $BUNDLE: $PARTS gateway-pod logs of $PART_MB MB"
  for ((i = 0; i < PARTS; i++)); do
    pod=gw-$i-istio-6d9f7c8b5d-x2kq$i
    mkdir -p "$TREE/bug-report/proxies/ns-$i/$pod"
    # Copies, not links: tar would store links as link entries.
    cp "$PART" "$TREE/bug-report/proxies/ns-$i/$pod/istio-proxy.log"
  done
  mkdir -p "$TREE/bug-report/cluster"
  cp corpus/samples/events.txt "$TREE/bug-report/cluster/events"
  tar -czf "$BUNDLE" -C "$TREE" bug-report
  rm -rf "$TREE"
fi

"$BIN" patterns list --regexes | sed -E 's/\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/(?:/g' >"$DATA/regexes.txt"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

say "timing aks-gw-logs bundle analyze"
start=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$OUT/rss" "$BIN" --no-store bundle analyze --format json --fail-on never "$BUNDLE" >"$OUT/ours.jsonl"
end=$(date +%s.%N)
ours=$(seconds "$start" "$end")

say "timing tar -xzf + rg -c -f"
start=$(date +%s.%N)
mkdir -p "$OUT/tree"
tar -xzf "$BUNDLE" -C "$OUT/tree"
rg -c -f "$DATA/regexes.txt" "$OUT/tree" >"$OUT/rg.txt" || true
end=$(date +%s.%N)
theirs=$(seconds "$start" "$end")

bytes=$(stat -c %s "$BUNDLE")
rss_kb=$(cat "$OUT/rss")
awk -v ours="$ours" -v theirs="$theirs" -v bytes="$bytes" -v size="$SIZE_MB" -v rss="$rss_kb" \
  -v incidents="$(wc -l <"$OUT/ours.jsonl")" 'BEGIN {
  printf "\nbundle: %.1f MB .tar.gz holding %d MB of logs\n", bytes / 1048576, size
  printf "%-40s %8.3f s\n", "aks-gw-logs bundle analyze", ours
  printf "%-40s %8.3f s\n", "tar -xzf + rg -c -f", theirs
  printf "ratio ours/(tar+rg): %.2fx (target <= 1.0x); peak RSS %.1f MB (target < 300 MB); %d incidents\n", ours / theirs, rss / 1024, incidents
}'
