#!/usr/bin/env bash
# Installs what the end-to-end test needs, idempotently, into .cache/e2e/ (or $RL_E2E_CACHE):
#   - Debian's chromium, libvulkan1 and ripgrep (apt-get, only when missing; needs root)
#   - code-server, pinned, built offline: its ripgrep download is seeded from /usr/bin/rg
# Prints one line naming the missing piece and exits non-zero when it cannot.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# @vscode/ripgrep version code-server 4.100.3 depends on, and the asset its postinstall fetches.
RIPGREP_PKG_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${RL_E2E_CACHE:-$ROOT/.cache/e2e}"
CS_DIR="$CACHE/code-server"
STAMP="$CS_DIR/.installed-$CODE_SERVER_VERSION"

fail() { echo "e2e setup: $*" >&2; exit 1; }

apt_install() {
  # dpkg may be locked by another installer on this machine: retry for a while.
  [ "$(id -u)" = 0 ] || fail "missing $1 and not root: run 'sudo apt-get install -y $1'"
  command -v apt-get >/dev/null || fail "missing $1 and no apt-get: install $1 with your package manager"
  for i in $(seq 1 30); do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y "$1" >/dev/null 2>"$CACHE/apt-$1.err"; then return 0; fi
    if grep -q 'lock' "$CACHE/apt-$1.err"; then sleep 10; continue; fi
    apt-get update >/dev/null 2>&1 || true
  done
  fail "apt-get install $1 failed: $(tail -n 3 "$CACHE/apt-$1.err")"
}

mkdir -p "$CACHE"
[ -x /usr/bin/chromium ] || apt_install chromium
# the Vulkan loader: with chromium's SwiftShader driver, the webgpu device runs without a GPU
compgen -G '/usr/lib/*/libvulkan.so.1' >/dev/null || apt_install libvulkan1
[ -x /usr/bin/rg ] || apt_install ripgrep
command -v unzip >/dev/null || apt_install unzip
# code-server's nested install builds the kerberos module from source, which needs GSSAPI headers.
[ -f /usr/include/gssapi/gssapi.h ] || apt_install libkrb5-dev
[ "$(uname -m)" = x86_64 ] || fail "the ripgrep seed is for x86_64 only (this is $(uname -m))"

if [ -f "$STAMP" ] && [ -x "$CS_DIR/node_modules/.bin/code-server" ]; then
  echo "code-server $CODE_SERVER_VERSION already installed in $CS_DIR"
  exit 0
fi

# Its own HOME and TMPDIR: npm and the ripgrep postinstall write there, not under the user's home.
export HOME="$CACHE/home" TMPDIR="$CACHE/tmp"
mkdir -p "$HOME" "$TMPDIR" "$CS_DIR"
SEED="$TMPDIR/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
mkdir -p "$SEED"
if [ ! -s "$SEED/$RIPGREP_ASSET" ]; then
  STAGE="$(mktemp -d)"
  cp /usr/bin/rg "$STAGE/rg"
  tar -C "$STAGE" -czf "$SEED/$RIPGREP_ASSET" rg
  rm -rf "$STAGE"
fi

# npm 11 runs dependency install scripts only for packages in allowScripts; code-server's
# native parts (node-pty, argon2, spdlog, ripgrep…) are built by theirs.
cat > "$CS_DIR/package.json" <<JSON
{ "name": "rl-e2e-code-server", "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true, "node-pty": true, "@vscode/spdlog": true,
    "@vscode/ripgrep": true, "native-watchdog": true, "@parcel/watcher": true, "@vscode/deviceid": true,
    "@vscode/policy-watcher": true, "@vscode/sqlite3": true, "kerberos": true, "@vscode/windows-registry": true } }
JSON

# Installing as root: unsafe-perm keeps lifecycle scripts running as root, yes answers the npx
# in node-pty's step. npm 11 skips dependency install scripts unless allowed; code-server's
# postinstall (and the nested installs it runs) build its native parts, so allow them.
# The repository's .npmrc sets ignore-scripts=true; npm reads it only for the repository's own
# project (this folder has its own package.json), but say it explicitly so nothing can leak in.
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_fund=false npm_config_audit=false
export npm_config_ignore_scripts=false
export npm_config_update_notifier=false
# node-gyp downloads Node's headers unless told where they are (offline here): use the system's.
for d in /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
  if [ -f "$d/include/node/node.h" ]; then export npm_config_nodedir="$d"; break; fi
done
[ -n "${npm_config_nodedir:-}" ] || fail "Node headers (include/node/node.h) not found: install Node's development headers (Debian: nodejs-dev / libnode-dev)"
echo "installing code-server $CODE_SERVER_VERSION into $CS_DIR (a minute or two)…"
if ! (cd "$CS_DIR" && npm install --no-save >"$CACHE/npm-install.log" 2>&1); then
  tail -n 30 "$CACHE/npm-install.log" >&2
  fail "npm install code-server@$CODE_SERVER_VERSION failed (log: $CACHE/npm-install.log)"
fi
[ -x "$CS_DIR/node_modules/.bin/code-server" ] || fail "code-server binary missing after install (log: $CACHE/npm-install.log)"
touch "$STAMP"
echo "code-server $CODE_SERVER_VERSION installed in $CS_DIR"
