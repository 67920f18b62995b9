#!/usr/bin/env bash
# Build a ramguard account snapshot (directory form) with the aliyun CLI and jq.
#
# Usage:
#   scripts/snapshot-from-aliyun.sh [--control-policies] OUT_DIR [-- ALIYUN_OPTIONS...]
#
#   --control-policies  also fetch the Resource Directory control policies in
#                       effect for the account (attached to it, its folders and
#                       the root folder). Needs credentials that may call
#                       resourcemanager:GetAccount, ListControlPolicyAttachmentsForTarget
#                       and GetControlPolicy (usually the management account's).
#                       Without it the snapshot has no control policies, so
#                       answers can only list more principals, never fewer.
#   ALIYUN_OPTIONS      passed to every aliyun call, e.g. `--profile audit`.
#
# The credentials need read access to RAM (AliyunRAMReadOnlyAccess) and
# sts:GetCallerIdentity. Every file is an API output, written verbatim except
# that paginated listings are merged into one page. See docs/snapshot.md.
#
# Set ALIYUN to run another binary in place of `aliyun`.
#
# Every name and id the API returns becomes part of a file name, so each is
# checked before it is used: RAM user, group, role and policy names must be 1
# to 128 letters, digits, `.`, `_`, `@` or `-` (the union of what RAM allows
# for each), and anything else (a `/`, `../`, a space, a control character)
# stops the script. A listing may take at most SNAPSHOT_MAX_PAGES pages
# (default 1000, of up to 1000 items each); more, or a page that repeats the
# previous page's Marker, stops it too, rather than page forever.

set -euo pipefail

control=false
if [ "${1:-}" = "--control-policies" ]; then
    control=true
    shift
fi
if [ $# -lt 1 ] || [ "${1:0:1}" = "-" ]; then
    sed -n '2,/^[^#]/{/^#/p}' "$0" >&2
    exit 1
fi
out=$1
shift
if [ "${1:-}" = "--" ]; then
    shift
fi
options=("$@")
aliyun_bin=${ALIYUN:-aliyun}

command -v jq >/dev/null || { echo "snapshot-from-aliyun: jq is required" >&2; exit 1; }

max_pages=${SNAPSHOT_MAX_PAGES:-1000}
if [[ ! $max_pages =~ ^[1-9][0-9]*$ ]]; then
    echo "snapshot-from-aliyun: SNAPSHOT_MAX_PAGES must be a positive whole number, not \`$max_pages\`" >&2
    exit 1
fi

call() {
    "$aliyun_bin" "$@" "${options[@]}"
}

fail() {
    echo "snapshot-from-aliyun: $*" >&2
    exit 1
}

# check WHAT PATTERN EXPECTED VALUE: stop unless VALUE matches PATTERN (a
# whole-string extended regular expression), before VALUE names any file.
check() {
    local what=$1 pattern=$2 expected=$3 value=$4
    if [[ ! $value =~ ^($pattern)$ ]]; then
        fail "refusing $what $(printf '%q' "$value") from the API: expected $expected"
    fi
}

# RAM names (users and groups: letters, digits, `.`, `_`, `-`; roles:
# letters, digits, `.`, `-`; custom policies: letters, digits, `-`; all at
# most 64 or 128 characters), taken together, plus `@`.
name_pattern='[A-Za-z0-9._@-]{1,128}'
name_expected="1 to 128 letters, digits, \`.\`, \`_\`, \`@\` or \`-\`, as RAM names are"
check_name() {
    check "$1" "$name_pattern" "$name_expected" "$2"
}

# list_all ACTION OUTER INNER: a RAM listing with every page merged
# (RAM pages with Marker / IsTruncated, which `aliyun --pager` does not follow).
list_all() {
    local action=$1 outer=$2 inner=$3 marker="" n=0 pages
    pages=$(mktemp -d)
    while :; do
        local file
        file=$(printf '%s/%06d.json' "$pages" "$n")
        if [ -n "$marker" ]; then
            call ram "$action" --MaxItems 1000 --Marker "$marker" >"$file"
        else
            call ram "$action" --MaxItems 1000 >"$file"
        fi
        n=$((n + 1))
        if [ "$(jq -r '.IsTruncated // false' "$file")" = "true" ]; then
            local next
            next=$(jq -r '.Marker // ""' "$file")
            [ -n "$next" ] || fail "$action page $n is truncated but has no Marker"
            [ "$next" != "$marker" ] || fail "$action page $n repeats the Marker of page $((n - 1)): the listing would never end"
            [ "$n" -lt "$max_pages" ] ||
                fail "$action has more than $max_pages pages (SNAPSHOT_MAX_PAGES): stopping rather than paging forever"
            marker=$next
        else
            break
        fi
    done
    jq -s --arg o "$outer" --arg i "$inner" \
        '{($o): {($i): (map(.[$o][$i] // []) | add // [])}, IsTruncated: false}' "$pages"/*.json
    rm -r "$pages"
}

mkdir -p "$out"
cd "$out"
mkdir -p GetRole ListGroupsForUser ListPoliciesForUser ListPoliciesForGroup ListPoliciesForRole \
    GetPolicyVersion/System GetPolicyVersion/Custom

call sts GetCallerIdentity >GetCallerIdentity.json
account=$(jq -r '.AccountId' GetCallerIdentity.json)
check "account id" '[0-9]{1,32}' "digits" "$account"

list_all ListUsers Users User >ListUsers.json
list_all ListGroups Groups Group >ListGroups.json
list_all ListRoles Roles Role >ListRoles.json

jq -r '.Users.User[].UserName' ListUsers.json | while IFS= read -r user; do
    check_name "user name" "$user"
    call ram ListGroupsForUser --UserName "$user" >"ListGroupsForUser/$user.json"
    call ram ListPoliciesForUser --UserName "$user" >"ListPoliciesForUser/$user.json"
done
jq -r '.Groups.Group[].GroupName' ListGroups.json | while IFS= read -r group; do
    check_name "group name" "$group"
    call ram ListPoliciesForGroup --GroupName "$group" >"ListPoliciesForGroup/$group.json"
done
jq -r '.Roles.Role[].RoleName' ListRoles.json | while IFS= read -r role; do
    check_name "role name" "$role"
    call ram GetRole --RoleName "$role" >"GetRole/$role.json"
    call ram ListPoliciesForRole --RoleName "$role" >"ListPoliciesForRole/$role.json"
done

# The default version of every attached policy, once each.
find ListPoliciesForUser ListPoliciesForGroup ListPoliciesForRole -name '*.json' -print0 |
    xargs -0 -r jq -r '.Policies.Policy[] | [.PolicyType, .PolicyName, .DefaultVersion] | @tsv' |
    sort -u |
    while IFS=$'\t' read -r type name version; do
        check "policy type" 'System|Custom' "\`System\` or \`Custom\`" "$type"
        check_name "policy name" "$name"
        check "policy version" 'v[0-9]{1,9}' "\`v\` and a number" "$version"
        call ram GetPolicyVersion --PolicyType "$type" --PolicyName "$name" --VersionId "$version" \
            >"GetPolicyVersion/$type/$name.json"
    done

if $control; then
    mkdir -p ListControlPolicyAttachmentsForTarget GetControlPolicy
    # The account and every folder above it, from its path `rd-.../r-.../fd-...[/<account>]`.
    call resourcemanager GetAccount --AccountId "$account" |
        jq -r --arg account "$account" '(.Account.ResourceDirectoryPath | split("/") | .[1:]) + [$account] | unique | .[]' |
        while IFS= read -r target; do
            check "Resource Directory target" '[A-Za-z0-9-]{1,64}' "an account, folder or root id" "$target"
            call resourcemanager ListControlPolicyAttachmentsForTarget --TargetId "$target" \
                >"ListControlPolicyAttachmentsForTarget/$target.json"
        done
    find ListControlPolicyAttachmentsForTarget -name '*.json' -print0 |
        xargs -0 -r jq -r '.ControlPolicyAttachments.ControlPolicyAttachment[].PolicyId' |
        sort -u |
        while IFS= read -r id; do
            check "control policy id" '[A-Za-z0-9-]{1,64}' "an id such as \`cp-...\`" "$id"
            call resourcemanager GetControlPolicy --PolicyId "$id" >"GetControlPolicy/$id.json"
        done
else
    echo "snapshot-from-aliyun: control policies not fetched (pass --control-policies to include them)" >&2
fi

echo "snapshot of account $account written to $out" >&2
