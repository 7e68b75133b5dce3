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
git ls-tree -r -z --name-only "$sha" \
  | grep -zE '\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json|prisma|sql)$' \
  | grep -zvE '(^|/)node_modules/' \
  | xargs -0 -r sh -c 'git --literal-pathspecs archive --format=tar "$SHA" -- "$@" | tar -x -C "$DEST"' sh
# A snapshot may lack blobs of 4 MiB and more: git archive then reports the missing object and
# still writes the rest. Count what arrived.
count=$(find "$dest" -type f | wc -l)
[ "$count" -gt 0 ] || { echo "error: nothing extracted for $repo@$sha" >&2; exit 1; }
echo "extracted $repo@$sha: $count files into $dest"
