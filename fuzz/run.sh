#!/usr/bin/env bash
# A bounded libFuzzer run of every target in fuzz/fuzz_targets/, on the
# stable toolchain: what `.ci/run` calls after `cargo test`.
#
# `cargo fuzz run` needs nightly only for `-Zsanitizer=address`; the
# coverage guidance itself is LLVM's SanitizerCoverage pass, which stable
# rustc runs with `-Cpasses=sancov-module` and `-Cllvm-args`. So this
# script builds the targets with the flags cargo-fuzz passes, minus the
# address sanitizer (the crate has no `unsafe` of its own; panics,
# overflows (overflow checks are on in fuzz/Cargo.toml), timeouts and
# memory blow-ups are what is looked for), for the host triple so that
# build scripts and proc macros stay uninstrumented, and links libFuzzer
# from the `libfuzzer-sys` crate. No RUSTC_BOOTSTRAP.
#
# Each target runs for its share of FUZZ_SECONDS (default 60, in all),
# FUZZ_JOBS at a time (default: the number of cores, at most 2), seeded from
# the samples in corpus/ and patterns/ that fuzz/seeds.txt names. New inputs
# go to fuzz/corpus/<target>/, crashers to fuzz/artifacts/<target>/; both are
# work dirs, not committed. A crasher worth keeping goes to
# fuzz/regressions/<target>/ (replayed by `cargo test --test
# fuzz_regressions`) once its bug is fixed.
#
# Prints executions per target and exits 1 when any target crashed, timed
# out (FUZZ_TIMEOUT seconds per input, default 10) or ran out of memory,
# naming the crasher file. FUZZ_TARGETS="a b" runs only those targets.
set -euo pipefail
cd "$(dirname "$0")"
fuzz_dir=$PWD
root=$(cd .. && pwd)

budget=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-10}
read -r -a targets <<<"${FUZZ_TARGETS:-line_parsers line_reader documents classify patterns bundle}"
cores=$(nproc 2>/dev/null || echo 1)
jobs=${FUZZ_JOBS:-$((cores < 2 ? cores : 2))}
target_dir=${FUZZ_TARGET_DIR:-$fuzz_dir/target}
host=$(rustc -vV | sed -n 's/^host: //p')

cargo fmt --check --manifest-path "$fuzz_dir/Cargo.toml"

flags=(
  --cfg fuzzing
  -Cpasses=sancov-module
  -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
  -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares
)
case $host in
  *-linux-*) flags+=(-Cllvm-args=-sanitizer-coverage-stack-depth) ;;
esac
echo "fuzz: building ${#targets[@]} targets (release, sanitizer coverage, $host)" >&2
started=$(date +%s)
RUSTFLAGS="${flags[*]}" cargo build --release --quiet \
  --manifest-path "$fuzz_dir/Cargo.toml" --target "$host" --target-dir "$target_dir" \
  "${targets[@]/#/--bin=}"
echo "fuzz: built in $(($(date +%s) - started)) s" >&2
bin_dir=$target_dir/$host/release

# Seeds, read in place (fuzz/seeds.txt); the sample tar.gz bundles are also
# unpacked to plain tars, so that the tar reader gets mutated directly.
tars=$target_dir/seeds/tars
rm -rf "$tars"
mkdir -p "$tars"
for gz in "$root"/corpus/bundles/*.tar.gz; do
  gzip -dc "$gz" >"$tars/$(basename "$gz" .gz)"
done
seeds_of() {
  local dir
  for dir in $(awk -v t="$1" '$1 == t { $1 = ""; print }' "$fuzz_dir/seeds.txt"); do
    case $dir in
      @tars) echo "$tars" ;;
      *) echo "$root/$dir" ;;
    esac
  done
}
# Short inputs run faster: a line parser needs a few lines, the classify
# path a screenful; documents, pattern files and bundles need more room.
max_len_of() {
  case $1 in
    line_parsers) echo 2048 ;;
    line_reader | classify) echo 8192 ;;
    bundle) echo 131072 ;;
    *) echo 32768 ;;
  esac
}

per=$((budget / ${#targets[@]} * jobs))
((per >= 1)) || per=1
log_dir=$target_dir/logs
mkdir -p "$log_dir"
echo "fuzz: ${#targets[@]} targets, ${per} s each, $jobs at a time" >&2

run_one() {
  local t=$1
  local corpus=$fuzz_dir/corpus/$t artifacts=$fuzz_dir/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  local seeds
  mapfile -t seeds < <(seeds_of "$t")
  local status=0
  "$bin_dir/$t" -max_total_time="$per" -timeout="$timeout" -rss_limit_mb=2048 \
    -max_len="$(max_len_of "$t")" -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" "${seeds[@]}" >"$log_dir/$t.log" 2>&1 || status=$?
  echo "$status" >"$log_dir/$t.status"
}

for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do
    wait -n || true
  done
  run_one "$t" &
done
wait

failed=0
total=0
printf '%-14s %12s %8s %8s  %s\n' target executions cov ft result
for t in "${targets[@]}"; do
  log=$log_dir/$t.log
  status=$(cat "$log_dir/$t.status")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-0}
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
  total=$((total + execs))
  if [[ $status == 0 ]]; then
    result=ok
  else
    result="FAILED (exit $status)"
    failed=1
  fi
  printf '%-14s %12s %8s %8s  %s\n' "$t" "$execs" "${cov:--}" "${ft:--}" "$result"
done
printf '%-14s %12s\n' total "$total"

if ((failed)); then
  for t in "${targets[@]}"; do
    [[ $(cat "$log_dir/$t.status") == 0 ]] && continue
    echo >&2
    echo "fuzz: $t failed; the end of $log_dir/$t.log:" >&2
    grep -v -E '^#[0-9]+' "$log_dir/$t.log" | tail -n 40 >&2
    grep -Eo '(Test unit|artifact) written to .*|^Test unit written to .*' "$log_dir/$t.log" |
      sed 's/^/fuzz: crasher: /' >&2 || true
    echo "fuzz: reproduce with: $bin_dir/$t <crasher file>" >&2
  done
  exit 1
fi
