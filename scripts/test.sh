#!/usr/bin/env bash
# The whole test suite: installs the external tools it needs (cross
# compilers, QEMU, gdb-multiarch, the qemu.qmp client), rebuilds the guest
# programs from source and checks them on QEMU, then runs every Rust test
# against the freshly built guests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-test-tools.sh

# Guests: rebuild every image from source, prove it on QEMU (the
# reference), and put it where the tests and the demo look for it.
for dir in guests/*/; do
    if [ -f "$dir/Makefile" ]; then
        make -B -s -C "$dir" images
        make -s -C "$dir" check-qemu
    fi
done

cargo test --workspace --all-targets --locked
