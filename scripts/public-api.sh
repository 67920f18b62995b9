#!/usr/bin/env bash
# The library's public API, one item per line, as rustdoc lists it.
#
#   scripts/public-api.sh           print it
#   scripts/public-api.sh --check   fail if it differs from docs/public-api.txt
#                                   or if two public items share a name
#   scripts/public-api.sh --bless   rewrite docs/public-api.txt
#
# The docs are built with warnings as errors, so a broken intra-doc link
# fails here too. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-print}"
case "$mode" in
  print | --check | --bless) ;;
  *) echo "usage: scripts/public-api.sh [--check | --bless]" >&2; exit 2 ;;
esac
if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is required (apt-get install python3)" >&2
  exit 1
fi

target="${CARGO_TARGET_DIR:-target}"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps -p ramguard

list="$(python3 - "$target/doc/ramguard/all.html" <<'PY'
import collections, re, sys

page = open(sys.argv[1], encoding="utf-8").read()
items = []
for kind, body in re.findall(r'<h3 id="([a-z-]+)">[^<]*</h3><ul class="all-items">(.*?)</ul>', page, re.S):
    for name in re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', body):
        items.append((name, kind.rstrip("s").replace("-", " ")))
if len(items) < 20:
    sys.exit(f"read only {len(items)} items from {sys.argv[1]}: has rustdoc's page changed?")
for name, kind in sorted(items):
    print(f"{kind} ramguard::{name}")
short = collections.defaultdict(list)
for name, _ in items:
    short[name.rsplit("::", 1)[-1]].append(name)
twice = {k: v for k, v in short.items() if len(v) > 1}
for k, v in sorted(twice.items()):
    print(f"error: `{k}` is public twice: {', '.join('ramguard::' + p for p in v)}", file=sys.stderr)
sys.exit(1 if twice else 0)
PY
)"

case "$mode" in
  print) printf '%s\n' "$list" ;;
  --bless) printf '%s\n' "$list" >docs/public-api.txt; echo "docs/public-api.txt: $(wc -l <docs/public-api.txt) items" ;;
  --check)
    if ! diff -u docs/public-api.txt <(printf '%s\n' "$list"); then
      echo "the public API differs from docs/public-api.txt (above); if that is meant, run scripts/public-api.sh --bless" >&2
      exit 1
    fi
    echo "public API: $(wc -l <docs/public-api.txt) items, as docs/public-api.txt lists them" ;;
esac
