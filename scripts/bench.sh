#!/usr/bin/env bash
# Guest MIPS of Chimera's interpreter and of QEMU on the same compute-bound
# images, in one run. The instruction count is Chimera's (--stats); the
# guest is deterministic, so QEMU retires the same instructions.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
for w in 64 32; do
    prof=riscv-virt; [ $w = 32 ] && prof=riscv32-virt
    img=guests/bench/images/crc-rv$w.elf
    start=$(date +%s.%N)
    stats=$(./target/release/chimera run --profile $prof --kernel $img --stats 2>&1 >/dev/null)
    end=$(date +%s.%N)
    insns=$(echo "$stats" | sed -n 's/.*): \([0-9]*\) instructions.*/\1/p' | head -1)
    qstart=$(date +%s.%N)
    timeout 300 qemu-system-riscv$w -M virt -bios none -nographic -monitor none -kernel $img < /dev/null > /dev/null
    qend=$(date +%s.%N)
    python3 - "$w" "$insns" "$start" "$end" "$qstart" "$qend" <<'PY'
import sys
w, insns, s, e, qs, qe = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:])
c, q = e - s, qe - qs
print(f"rv{w} crc: {insns} instructions; chimera interp {c:.3f} s = {insns/c/1e6:.1f} MIPS; "
      f"qemu {q:.3f} s = {insns/q/1e6:.1f} MIPS; chimera/qemu = {q/c:.2f}")
PY
done
