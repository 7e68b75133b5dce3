#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3 served to a browser) for test/vscode/code-server.test.ts,
# in its own folder with its own package.json: it is not a dependency of the extension.
#
#   folder: $DELIVERY_LINT_CODE_SERVER_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/delivery-lint/code-server
#   entry:  <folder>/node_modules/code-server/out/node/entry.js   (run it with node 20)
#
# code-server 4.100.3 is the newest release that installs on Node 20 (its postinstall refuses any
# other major version). Its npm install builds native modules (argon2, kerberos) and its ripgrep
# dependency downloads a binary from GitHub, which is not reachable here: the Debian packages below
# provide the compilers and headers, and Debian's rg is put in @vscode/ripgrep's download cache
# under the name it looks for, so nothing is fetched outside the npm registry and Debian.
#
# Idempotent: when the folder already holds a complete 4.100.3 install, nothing else happens (one
# line of output). Otherwise ~1.5-3 min and ~300 MB. On failure: the reason and the end of the
# log on stderr, exit 1.
set -euo pipefail

VERSION=4.100.3
# What code-server 4.100.3's lib/vscode depends on: @vscode/ripgrep 1.15.11 downloads ripgrep v13.0.0-10.
RG_PACKAGE_VERSION=1.15.11
RG_VERSION=v13.0.0-10
APT_PACKAGES=(build-essential python3 pkg-config libkrb5-dev ripgrep)

DIR="${DELIVERY_LINT_CODE_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/delivery-lint/code-server}"
PKG="$DIR/node_modules/code-server"
ENTRY="$PKG/out/node/entry.js"
MARKER="$DIR/.delivery-lint-installed"

fail() {
  echo "install-code-server: $*" >&2
  exit 1
}

installed_version() {
  [ -f "$PKG/package.json" ] && node -p "require(process.argv[1]).version" "$PKG/package.json" 2>/dev/null
}

# Already installed: the marker is written only after a complete install passed its smoke test.
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$VERSION" ] && [ -f "$ENTRY" ] && [ "$(installed_version)" = "$VERSION" ]; then
  echo "install-code-server: ready: code-server $VERSION in $DIR"
  exit 0
fi

command -v node >/dev/null 2>&1 || fail "node is not on PATH"
command -v npm >/dev/null 2>&1 || fail "npm is not on PATH"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || fail "code-server $VERSION needs Node 20 (its postinstall refuses other versions); this is Node $(node -v)"

case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64 | arm64) rg_target=aarch64-unknown-linux-musl ;;
  *) fail "unsupported machine $(uname -m): only x86_64 and aarch64 have a ripgrep cache name here" ;;
esac

started=$SECONDS
echo "install-code-server: installing code-server $VERSION in $DIR (takes 1.5-3 min) ..."

# 1. Debian packages the native builds and the ripgrep seed need.
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt() { DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
  elif command -v sudo >/dev/null 2>&1; then
    apt() { sudo -n env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
  else
    fail "${missing[*]} missing, and installing them needs root (or sudo)"
  fi
  apt_log="$(mktemp)"
  if ! { apt -qq -o DPkg::Lock::Timeout=300 update && apt -qq -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    echo "install-code-server: apt-get could not install: ${missing[*]}. Its output:" >&2
    tail -n 40 "$apt_log" >&2
    rm -f "$apt_log"
    exit 1
  fi
  rm -f "$apt_log"
fi
[ -x /usr/bin/rg ] || fail "/usr/bin/rg is missing after installing ripgrep"

# 2. The folder, with its own package.json, and a private TMPDIR holding the seeded ripgrep cache.
mkdir -p "$DIR"
rm -f "$MARKER"
cat >"$DIR/package.json" <<EOF
{
  "name": "delivery-lint-code-server",
  "private": true,
  "description": "code-server for delivery-lint's end-to-end tests (test/vscode/code-server.test.ts), installed by .ci/install-code-server.sh.",
  "dependencies": {
    "code-server": "$VERSION"
  }
}
EOF
tmp="$DIR/tmp"
rm -rf "$tmp"
cache="$tmp/vscode-ripgrep-cache-$RG_PACKAGE_VERSION"
mkdir -p "$cache" "$tmp/rg"
cp /usr/bin/rg "$tmp/rg/rg"
tar -czf "$cache/ripgrep-$RG_VERSION-$rg_target.tar.gz" -C "$tmp/rg" rg
rm -rf "$tmp/rg"

# 3. npm install. unsafe_perm and yes: the postinstall scripts run as root and never prompt.
log="$DIR/install.log"
if ! (cd "$DIR" && env TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true npm install --no-audit --no-fund "code-server@$VERSION") >"$log" 2>&1; then
  echo "install-code-server: npm install code-server@$VERSION failed in $DIR. The end of $log:" >&2
  tail -n 60 "$log" >&2
  exit 1
fi

# 4. Smoke test: the version, and what the postinstall scripts produce.
[ "$(installed_version)" = "$VERSION" ] || fail "after npm install, $PKG is version '$(installed_version)', not $VERSION (see $log)"
[ -d "$PKG/lib/vscode/node_modules" ] || fail "code-server's postinstall did not install lib/vscode/node_modules (see $log)"
[ -x "$PKG/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] || fail "@vscode/ripgrep has no bin/rg: its cache seeding failed (see $log)"
probe_home="$(mktemp -d)"
if ! reported="$(env HOME="$probe_home" XDG_CONFIG_HOME="$probe_home/config" XDG_DATA_HOME="$probe_home/data" node "$ENTRY" --version 2>&1)"; then
  rm -rf "$probe_home"
  fail "code-server --version failed: $reported"
fi
rm -rf "$probe_home" "$tmp"
# On a first run it logs "Wrote default config file" before the version line.
reported="$(echo "$reported" | tail -n 1)"
case "$reported" in
  "$VERSION "*) ;;
  *) fail "code-server --version printed '$reported', expected $VERSION" ;;
esac

echo "$VERSION" >"$MARKER"
echo "install-code-server: installed code-server $VERSION in $DIR in $((SECONDS - started)) s ($reported)"
