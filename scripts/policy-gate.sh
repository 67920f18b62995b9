#!/usr/bin/env bash
# The policy gate for a pull request: it fails when the policies have lint
# errors or security warnings, when their test suites fail, or when they
# allow anything the base branch's policies did not.
#
#   scripts/policy-gate.sh [BASE_REF] [POLICY_DIR] [--control GLOB]... [--session GLOB]...
#                          [--parameters NAME=VALUE]... [--var NAME=VALUE]... [--var-file FILE]...
#                          [--account ID] [--region ID] [-- DIFF_OPTION...]
#
# BASE_REF defaults to origin/main and POLICY_DIR to policies (a path
# relative to the repository's root). POLICY_DIR may hold policy files,
# Terraform configurations (every directory of `.tf` files under it is a
# root module), Terraform plans and ROS templates, in any mix. `--control`
# and `--session` name the documents read as control and session policies;
# `--parameters` (ROS), `--var` and `--var-file` (Terraform), `--account`
# and `--region` (the pseudo parameters) say how templates are resolved.
# All of these go to both `lint` and `diff`, and to both sides of the diff
# (a `--var-file` is read from the pull request's tree); options after `--`
# go to `ramguard diff` alone.
# RAMGUARD names the ramguard binary (default: `ramguard` on the PATH).
#
# `lint`, `test` and `diff` choose the files under POLICY_DIR the same way
# (recursively, hidden entries skipped), and a `--control` or `--session`
# glob is matched against a document's path relative to POLICY_DIR (or its
# file name alone): a glob that matches no document makes the gate an error.
#
# Exit codes: 0 when every check passes, 2 when a check finds a problem
# (a finding, a failing case, new access), 3 when `diff` found no new access
# but a budget cut its search short, so that nothing was proved (pass
# `-- --accept-inexact` to accept that, or raise the budget it names), or
# when the answer depends on a placeholder's value (give it with
# `--parameters`, `--var` or `--var-file`), 1 when a check cannot run. 1 wins
# over 2, and 2 over 3.
set -uo pipefail

base_ref="origin/main"
dir="policies"
kinds=()
positional=0
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    --control | --session | --parameters | --var | --var-file | --account | --region)
      if [ $# -lt 2 ]; then
        case "$1" in --control | --session) what="a glob" ;; *) what="a value" ;; esac
        echo "policy-gate: $1 needs $what" >&2; exit 1
      fi
      kinds+=("$1" "$2"); shift 2 ;;
    -*) echo "policy-gate: unknown option $1" >&2; exit 1 ;;
    *)
      case $positional in
        0) base_ref="$1" ;;
        1) dir="$1" ;;
        *) echo "policy-gate: unexpected argument $1" >&2; exit 1 ;;
      esac
      positional=$((positional + 1)); shift ;;
  esac
done
ramguard="${RAMGUARD:-ramguard}"

merge_base="$(git merge-base "$base_ref" HEAD)" || {
  echo "policy-gate: no common history with $base_ref (fetch it, with enough depth)" >&2
  exit 1
}
base="$(mktemp -d)"
trap 'rm -rf "$base"' EXIT
mkdir -p "$base/$dir"
# A policy directory the base branch does not have is an empty set: then
# everything the pull request allows is new.
if git cat-file -e "$merge_base:$dir" 2>/dev/null; then
  git archive "$merge_base" "$dir" | tar -x -C "$base" || exit 1
fi

errors=0
problems=0
undecided=0
check() {
  echo "== $*"
  "$@"
  case $? in
    0) ;;
    2) problems=1 ;;
    3) undecided=1 ;;
    *) errors=1 ;;
  esac
}

check "$ramguard" lint ${kinds[@]+"${kinds[@]}"} "$dir"
if find -L "$dir" -name '.?*' -prune -o -name '*.suite.json' -print 2>/dev/null | grep -q .; then
  check "$ramguard" test "$dir"
fi
check "$ramguard" diff ${kinds[@]+"${kinds[@]}"} "$base/$dir" "$dir" "$@"

if [ "$errors" -ne 0 ]; then exit 1; fi
if [ "$problems" -ne 0 ]; then exit 2; fi
if [ "$undecided" -ne 0 ]; then
  echo "policy-gate: diff could not prove that nothing new is allowed (its search was cut short, or the answer depends on a value known only at deployment; see above)" >&2
  exit 3
fi
echo "policy-gate: the policies pass, and allow nothing new"
