#!/usr/bin/env bash
# Installs the external tools the test suite compares against or builds
# with: Debian's cross compilers, QEMU (from bookworm-backports, matching
# the machine's qemu-utils) with OpenSBI and U-Boot, dtc, gdb-multiarch,
# and a Python venv with the qemu.qmp client. Idempotent: tools already
# present are not reinstalled.
set -euo pipefail

need=()
command -v riscv64-unknown-elf-gcc >/dev/null || need+=(gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)
command -v dtc >/dev/null || need+=(device-tree-compiler)
command -v gdb-multiarch >/dev/null || need+=(gdb-multiarch)

qemu_need=()
command -v qemu-system-riscv64 >/dev/null || qemu_need+=(qemu-system-misc)
command -v qemu-system-arm >/dev/null || qemu_need+=(qemu-system-arm)
# The firmware the U-Boot test boots (crates/cli/tests/uboot.rs); opensbi
# comes from backports with QEMU, u-boot-qemu from bookworm.
[ -f /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin ] || qemu_need+=(opensbi)
[ -f /usr/lib/u-boot/qemu-riscv64_smode/uboot.elf ] || qemu_need+=(u-boot-qemu)

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ((${#need[@]} + ${#qemu_need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    if ((${#qemu_need[@]})) && [ ! -f /etc/apt/sources.list.d/backports.list ]; then
        uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
        uri=${uri:-http://deb.debian.org/debian}
        echo "deb $uri bookworm-backports main" | as_root tee /etc/apt/sources.list.d/backports.list >/dev/null
    fi
    as_root apt-get update -qq
    if ((${#need[@]})); then
        as_root apt-get install -y -qq --no-install-recommends "${need[@]}"
    fi
    if ((${#qemu_need[@]})); then
        as_root apt-get install -y -qq -t bookworm-backports --no-install-recommends \
            "${qemu_need[@]}" opensbi u-boot-qemu
        for f in /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin \
            /usr/lib/u-boot/qemu-riscv64_smode/uboot.elf; do
            [ -f "$f" ] || { echo "missing after install: $f" >&2; exit 1; }
        done
    fi
fi

# Debian 13's riscv64 kernel and busybox-static, as package files in a
# private directory (the Linux boot test and `chimera bench`'s system rows).
bash "$(dirname "$0")/fetch-linux-riscv64.sh" >/dev/null

# The QMP client lives in a venv of the project's own.
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.tools/venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import qemu.qmp' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q qemu.qmp
fi
echo "test tools ready"
