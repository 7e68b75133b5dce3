#!/usr/bin/env bash
# Installs from Debian what the end-to-end tests need and is not an npm package:
#   nvim (neovim)       test/neovim: Neovim's built-in LSP client against dist/server.js
#   chromium (chromium) test/vscode: the headless browser playwright-core drives code-server with
# and then, through .ci/install-code-server.sh, code-server 4.100.3 (real VS Code) in its own folder.
# Idempotent: a command already on PATH is left alone, and apt-get runs only when something is
# missing. Quiet: one line when all is well, apt-get's output only when it failed (exit 1).
# To add a tool, add "command:debian-package" to TOOLS (e.g. "chromium:chromium").
set -euo pipefail

TOOLS=(
  "nvim:neovim"
  "chromium:chromium"
)

missing=()
for tool in "${TOOLS[@]}"; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      apt() { sudo -n env DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
    else
      echo "install-e2e: ${missing[*]} missing, and installing needs root (or sudo)" >&2
      exit 1
    fi
  else
    apt() { DEBIAN_FRONTEND=noninteractive apt-get "$@"; }
  fi
  log="$(mktemp)"
  trap 'rm -f "$log"' EXIT
  if ! { apt -qq -o DPkg::Lock::Timeout=300 update && apt -qq -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "install-e2e: apt-get could not install: ${missing[*]}. Its output:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
fi

for tool in "${TOOLS[@]}"; do
  if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
    echo "install-e2e: '${tool%%:*}' is still not on PATH after installing ${tool#*:}" >&2
    exit 1
  fi
done

echo "install-e2e: ready: $(nvim --version | head -n 1), $(chromium --version 2>/dev/null | head -n 1)${missing[*]:+ (installed: ${missing[*]})}"

bash "$(dirname "$0")/install-code-server.sh"
