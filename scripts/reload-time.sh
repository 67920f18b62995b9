#!/usr/bin/env bash
# Times `ramguard serve`'s policy reloads on the load generator's account:
# 1,000 users, each with a key and a policy of STATEMENTS statements
# (default 10: 10,000 statements besides the bundled account's). The
# snapshot is replaced by a rename, as deployment tools do, RELOADS times
# (default 5); each reload's time is the one the server logs.
#
#   scripts/reload-time.sh [STATEMENTS] [RELOADS]
set -euo pipefail
cd "$(dirname "$0")/.."
statements=${1:-10}
reloads=${2:-5}
command -v jq >/dev/null || { echo "reload-time: jq is needed (apt-get install jq)" >&2; exit 1; }
cargo build --release -q -p ramguard-cli -p ramguard-gateway --example load
dir=$(mktemp -d)
server=""
trap 'kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$dir"' EXIT
LOAD_WRITE_CONFIG="$dir" LOAD_STATEMENTS="$statements" target/release/examples/load
echo "snapshot: $(stat -c %s "$dir/account.json") bytes, $(jq '[.GetPolicyVersion[][].PolicyVersion.PolicyDocument | fromjson | .Statement | length] | add' "$dir/account.json") statements in its policies"
target/release/ramguard serve --config "$dir/gateway.toml" --listen 127.0.0.1:0 >/dev/null 2>"$dir/stderr" &
server=$!
wait_for() { # a pattern, and how many lines of stderr must match it
  for _ in $(seq 1 600); do
    [ "$(grep -c -- "$1" "$dir/stderr" || true)" -ge "$2" ] && return 0
    kill -0 "$server" 2>/dev/null || { cat "$dir/stderr" >&2; exit 1; }
    sleep 0.1
  done
  echo "reload-time: timed out waiting for '$1'" >&2; cat "$dir/stderr" >&2; exit 1
}
wait_for "listening on" 1
for i in $(seq 1 "$reloads"); do
  # A different document each time: the description of one policy names the round.
  jq -c --arg round "$i" '.ListUsers.RequestId = ("reload-" + $round)' "$dir/account.json" >"$dir/account.json.new"
  mv "$dir/account.json.new" "$dir/account.json"
  wait_for "reloaded policies" "$i"
done
grep "reloaded policies" "$dir/stderr"
