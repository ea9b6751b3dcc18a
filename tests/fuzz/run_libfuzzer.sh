#!/bin/sh
# One bounded libFuzzer run: FUZZER CORPUS WORK ARTIFACTS. New inputs go to WORK (a copy of CORPUS grows there, never
# the source tree); a crash leaves its input in ARTIFACTS and fails the run. Prints libFuzzer's final stats
# (executions, coverage, corpus) for the README's figures.
set -eu
fuzzer=$1 corpus=$2 work=$3 artifacts=$4
seconds=${FOUNDRY_FUZZ_SECONDS:-60}
mkdir -p "$work" "$artifacts"
cp -n "$corpus"/* "$work"/ 2>/dev/null || true
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
log="$work.log"
rc=0
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-artifact_prefix="$artifacts/$(basename "$fuzzer")-" "$work" > "$log" 2>&1 || rc=$?
grep -E "^#[0-9]+.*(INITED|DONE)|^stat::|ERROR|SUMMARY|artifact|Test unit written" "$log" | tail -n 30
[ "$rc" -eq 0 ] || tail -n 60 "$log"
exit "$rc"
