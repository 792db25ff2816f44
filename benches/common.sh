# Shared steps of the benchmark scripts (sourced, not run): a progress
# line, the release build (skipped with NO_BUILD=1), and the generated
# mixed gateway/istiod logs in target/bench-data/, made once per size and
# seed.

say() { printf '==> %s\n' "$*" >&2; }

# Builds the release binary unless NO_BUILD is set.
build_release() {
  if [[ -z ${NO_BUILD:-} ]]; then
    say "building release binary"
    cargo build --release --quiet --bin aks-gw-logs
  fi
}

# Makes the generated log FILE of SIZE_MB megabytes from SEED if missing.
ensure_mixed_log() {
  local file=$1 size_mb=$2 seed=$3
  if [[ ! -s $file ]]; then
    say "generating $file ($size_mb MB, seed $seed)"
    mkdir -p "$(dirname "$file")"
    cargo bench --quiet --bench gen_mixed_log -- "$file" "$size_mb" "$seed"
  fi
}
