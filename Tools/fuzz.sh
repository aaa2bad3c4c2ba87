#!/usr/bin/env bash
# Runs one libFuzzer target for a while: Tools/fuzz.sh TARGET SECONDS (TARGET: frame, change,
# session, text, csv, or all). Builds Fuzz/ with -sanitize=fuzzer,address into .build-fuzz,
# starts from the seed corpus in Fuzz/Corpus/TARGET (new inputs go to .build-fuzz/corpus), and
# on a crash copies the input into Fuzz/Regressions/TARGET/, where `swift test` runs it from
# then on (FuzzRegressionTests). Exit 1 when a target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: Tools/fuzz.sh TARGET SECONDS}
seconds=${2:-30}
all=(frame change session text csv)
[ "$target" = all ] && targets=("${all[@]}") || targets=("$target")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "unknown target $t (one of: ${all[*]})" >&2; exit 64; }
done

scratch=$PWD/.build-fuzz
# lld (gold fails on these binaries); --export-dynamic so KCFuzz finds libFuzzer's driver.
flags=(--package-path Fuzz --scratch-path "$scratch" -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
       -Xlinker --export-dynamic)
# All five executables share every module; building them together costs one build.
mkdir -p "$scratch"
if ! swift build "${flags[@]}" > "$scratch/build.log" 2>&1; then
  grep -E "error" "$scratch/build.log" | head -40
  echo "the fuzz targets did not build (log: $scratch/build.log)" >&2
  exit 1
fi
bin=$(swift build "${flags[@]}" --show-bin-path)

failed=0
for t in "${targets[@]}"; do
  [ -x "$bin/fuzz-$t" ] || { echo "fuzz-$t did not build" >&2; exit 1; }
  work=$scratch/corpus/$t crashes=$scratch/crashes/$t
  mkdir -p "$work" "$crashes"
  echo "== fuzz-$t for ${seconds}s"
  if ASAN_OPTIONS=detect_leaks=0 "$bin/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "Fuzz/Corpus/$t" > "$scratch/$t.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$scratch/$t.log" | sed "s/^/fuzz-$t /"
  else
    failed=1
    tail -40 "$scratch/$t.log"
    mkdir -p "Fuzz/Regressions/$t"
    for crash in "$crashes"/*; do [ -f "$crash" ] && cp "$crash" "Fuzz/Regressions/$t/" && echo "kept $crash in Fuzz/Regressions/$t/"; done
  fi
done
exit $failed
