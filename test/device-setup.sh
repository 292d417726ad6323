#!/usr/bin/env bash
# Installs what the webgpu tests need on a machine without a GPU, idempotently: the Vulkan
# loader (Debian's libvulkan1) and the SwiftShader Vulkan driver that Debian's chromium ships
# (/usr/lib/chromium/vk_swiftshader_icd.json). apt-get, only when missing; needs root.
# Prints one line naming the missing piece and exits non-zero when it cannot.
set -euo pipefail

ICD=/usr/lib/chromium/vk_swiftshader_icd.json
fail() { echo "device setup: $*" >&2; exit 1; }

have_loader() {
  local f
  for f in /usr/lib/*/libvulkan.so.1 /usr/lib64/libvulkan.so.1 /usr/lib/libvulkan.so.1; do [ -e "$f" ] && return 0; done
  return 1
}

apt_install() {
  [ "$(id -u)" = 0 ] || fail "missing $1 and not root: run 'sudo apt-get install -y $1'"
  command -v apt-get >/dev/null || fail "missing $1 and no apt-get: install $1 with your package manager"
  local err; err="$(mktemp)"
  # dpkg may be locked by another installer on this machine: retry for a while.
  for i in $(seq 1 30); do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" >/dev/null 2>"$err"; then rm -f "$err"; return 0; fi
    if grep -q 'lock' "$err"; then sleep 10; continue; fi
    apt-get update >/dev/null 2>&1 || true
  done
  fail "apt-get install $1 failed: $(tail -n 3 "$err")"
}

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || fail "the SwiftShader setup is for Linux x86_64 only (this is $(uname -s)-$(uname -m))"
have_loader || apt_install libvulkan1
[ -f "$ICD" ] || apt_install chromium
have_loader || fail "libvulkan.so.1 still missing after installing libvulkan1"
[ -f "$ICD" ] || fail "$ICD still missing after installing chromium"
echo "Vulkan loader and SwiftShader present"
