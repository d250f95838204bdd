#!/usr/bin/env bash
# Downloads Debian 13's riscv64 Linux kernel and busybox-static as package
# files into .tools/linux-riscv64/, with an apt state of its own (its own
# sources list, lists, cache and an empty status file): the machine's
# release, architectures and installed packages are left as they are.
# Prints the directory; in it, `Image` is the kernel (the raw RISC-V
# `Image`, "RISCV" magic at 0x30) and `busybox` the static binary.
# Idempotent: a complete directory is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.tools/linux-riscv64"
if [ -s "$dir/Image" ] && [ -x "$dir/busybox" ]; then
    echo "$dir"
    exit 0
fi

state="$dir/apt"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/etc" "$dir/debs"
: > "$state/status"
uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
uri=${uri:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [arch=riscv64 signed-by=$keyring] $uri trixie main" > "$state/etc/sources.list"
apt_opts=(
    -o "Dir::Etc::SourceList=$state/etc/sources.list"
    -o "Dir::Etc::SourceParts=-"
    -o "Dir::State::Lists=$state/lists"
    -o "Dir::State::status=$state/status"
    -o "Dir::Cache=$state/cache"
    -o "APT::Architecture=riscv64"
    -o "APT::Architectures=riscv64"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" update -qq
# linux-image-riscv64 is a metapackage: its first dependency names the
# versioned kernel package.
kernel_pkg=$(apt-cache "${apt_opts[@]}" depends linux-image-riscv64 |
    sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
[ -n "$kernel_pkg" ] || { echo "no kernel package behind linux-image-riscv64" >&2; exit 1; }
(cd "$dir/debs" && apt-get "${apt_opts[@]}" download "$kernel_pkg" busybox-static)

unpacked="$dir/unpacked"
rm -rf "$unpacked"
mkdir -p "$unpacked"
for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$unpacked"
done
image=$(ls "$unpacked"/boot/vmlinu[xz]-* | head -1)
cp "$image" "$dir/Image"
# Debian 13 is usr-merged: busybox is in usr/bin.
cp "$(ls "$unpacked"/usr/bin/busybox "$unpacked"/bin/busybox 2>/dev/null | head -1)" "$dir/busybox"
chmod +x "$dir/busybox"
echo "$kernel_pkg" > "$dir/kernel-package"
rm -rf "$unpacked" "$state/cache/archives"
echo "$dir"
