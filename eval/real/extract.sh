#!/usr/bin/env bash
# extract.sh — write the source files of one labelled repository, at its pinned commit, into a
# checkout folder, from any git directory that holds that commit. Nothing is installed or run.
#
# usage: extract.sh <owner/name> <git-dir> <checkouts-dir>
#   owner/name     a repository of eval/real/labels (labels/<owner>__<name>.json gives the commit)
#   git-dir        a git directory holding the pinned commit: any clone of the repository,
#                  e.g. `git clone --bare https://github.com/<owner>/<name> <git-dir>`
#   checkouts-dir  the checkout is written to <checkouts-dir>/<owner>__<name> (must not exist)
#
# Only source and config files are extracted (*.ts/tsx/mts/cts/js/jsx/mjs/cjs/json/prisma/sql),
# which is all the linter reads; no node_modules, as in a CI checkout before `npm ci`.
set -euo pipefail

usage() { sed -n '2,13p' "$0" >&2; exit 2; }
[ $# -eq 3 ] || usage
repo=$1 gitdir=$2 checkouts=$3
here=$(cd "$(dirname "$0")" && pwd)
labels="$here/labels/${repo/\//__}.json"
[ -f "$labels" ] || { echo "error: no labels for $repo ($labels)" >&2; exit 2; }
sha=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).commit)' "$labels")

git --git-dir="$gitdir" cat-file -e "${sha}^{commit}" 2>/dev/null || {
  echo "error: $gitdir does not contain $repo@$sha" >&2; exit 1; }

dest="$checkouts/${repo/\//__}"
if [ -e "$dest" ]; then echo "error: $dest exists" >&2; exit 1; fi
mkdir -p "$dest"
export GIT_DIR=$gitdir SHA=$sha DEST=$dest
# A snapshot may lack blobs of 4 MiB and more, and `git archive` stops at the first missing one
# (the rest of its batch is lost): only paths whose blob is present are archived, the others named.
git ls-tree -r -z "$sha" \
  | node -e '
    const { execFileSync } = require("node:child_process");
    const entries = require("node:fs").readFileSync(0, "utf8").split("\0").filter(Boolean)
      .map((line) => { const [meta, path] = line.split("\t"); return { oid: meta.split(" ")[2], path }; })
      .filter(({ path }) => /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json|prisma|sql)$/.test(path) && !/(^|\/)node_modules\//.test(path));
    const present = new Set(execFileSync("git", ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
      { input: entries.map((entry) => entry.oid).join("\n") + "\n", maxBuffer: 1 << 28 })
      .toString().split("\n").filter((line) => line.endsWith(" blob")).map((line) => line.split(" ")[0]));
    for (const { oid, path } of entries)
      if (present.has(oid)) process.stdout.write(path + "\0");
      else process.stderr.write(`missing from ${process.env.GIT_DIR}: ${path}\n`);
  ' \
  | xargs -0 -r sh -c 'git --literal-pathspecs archive --format=tar "$SHA" -- "$@" | tar -x -C "$DEST"' sh
count=$(find "$dest" -type f | wc -l)
[ "$count" -gt 0 ] || { echo "error: nothing extracted for $repo@$sha" >&2; exit 1; }
echo "extracted $repo@$sha: $count files into $dest"
