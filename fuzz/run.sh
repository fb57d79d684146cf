#!/usr/bin/env sh
# Runs every driftdeck fuzz target for SECONDS each (default 60) on the nightly toolchain.
# Usage (from anywhere): fuzz/run.sh [SECONDS] [TARGET...]
# Needs `cargo install cargo-fuzz` and `rustup toolchain install nightly` once.
# Corpora grow in fuzz/corpus/<target> (seeded from fuzz/seeds/<target>); crashes land in
# fuzz/artifacts/<target>: turn each into a regression test under tests/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"ingest_terraform ingest_driftctl ingest_cloudformation ingest_detect cloudtrail_records approvals tui_filter"}
cd "$here/.."
# No sanitizer: driftdeck forbids unsafe code, so what we hunt is panics, overflows (debug
# assertions on), hangs and memory blow-ups; this also halves the build on a small machine.
# `cargo fuzz build` takes one target (or none for all): build each asked for.
for t in $targets; do
    cargo +nightly fuzz build -s none --debug-assertions "$t"
done
status=0
for t in $targets; do
    mkdir -p "fuzz/corpus/$t"
    echo "== $t: ${secs}s"
    if ! cargo +nightly fuzz run -s none --debug-assertions "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=262144 -print_final_stats=1; then
        echo "!! $t found a crash: see fuzz/artifacts/$t" >&2
        status=1
    fi
done
exit $status
