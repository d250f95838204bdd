#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for a bounded time each:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# (default 60 s, every target). Needs Rust nightly (installed beside the
# stable toolchain) and cargo-fuzz, which this script installs when it is
# missing. Each target starts from its committed seed corpus
# (fuzz/corpus/TARGET/seed-*); what it finds new stays in that directory
# (ignored by git) for the next run. A crash stops the script with the
# input that caused it in fuzz/artifacts/TARGET/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(description image qmp_wire accels gdb_packets)
fi

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: Rust nightly is missing (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo +nightly fuzz build
for t in "${targets[@]}"; do
    echo "fuzz.sh: $t for ${seconds}s"
    # The machine under test may take a few hundred MiB per input (RAM is
    # allocated lazily, its tracking arrays are not).
    # libFuzzer sizes inputs after the seeds: guest code gets room for
    # programs of a few hundred instructions.
    extra=()
    [ "$t" = accels ] && extra=(-max_len=1024)
    log="artifacts/$t.log"
    mkdir -p artifacts
    cargo +nightly fuzz run "$t" -- -max_total_time="$seconds" -rss_limit_mb=4096 \
        -timeout=20 -len_control=0 "${extra[@]}" -print_final_stats=1 >"$log" 2>&1 || true
    grep -E "^(stat::|INFO: Seed|==|Done|#.*DONE)" "$log" || true
    if [ -n "$(ls -A "artifacts/$t" 2>/dev/null)" ]; then
        # What libFuzzer said about it (the stack of a crash or timeout).
        grep -v "^chimera: gdb session" "$log" | tail -n 60 >&2
        echo "fuzz.sh: $t found a failing input: fuzz/artifacts/$t/ (whole log: fuzz/$log)" >&2
        exit 1
    fi
done
