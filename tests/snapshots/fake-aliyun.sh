#!/usr/bin/env bash
# A stand-in for the aliyun CLI that answers from tests/snapshots/account/,
# for testing scripts/snapshot-from-aliyun.sh without an account. It pages
# ListUsers two users at a time, as RAM does with MaxItems, and insists on the
# options the test passes through (`--profile audit`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)/account
n=$#
if [ "$n" -lt 4 ] || [ "${*:n-1:1}" != "--profile" ] || [ "${*:n:1}" != "audit" ]; then
    echo "fake-aliyun: options not passed through: $*" >&2
    exit 3
fi
set -- "${@:1:n-2}"
product=$1 action=$2
shift 2
declare -A arg=()
while [ $# -ge 2 ]; do
    arg[${1#--}]=$2
    shift 2
done
case "$product $action" in
"sts GetCallerIdentity") cat "$here/GetCallerIdentity.json" ;;
"ram ListUsers")
    start=${arg[Marker]:-0}
    jq --argjson s "$start" '.Users.User |= .[$s:$s+2]
        | if ($s + 2) < 5 then .IsTruncated = true | .Marker = "\($s + 2)" else .IsTruncated = false end' \
        "$here/ListUsers.json"
    ;;
"ram ListGroups" | "ram ListRoles") cat "$here/$action.json" ;;
"ram ListGroupsForUser" | "ram ListPoliciesForUser") cat "$here/$action/${arg[UserName]}.json" ;;
"ram ListPoliciesForGroup") cat "$here/$action/${arg[GroupName]}.json" ;;
"ram GetRole" | "ram ListPoliciesForRole") cat "$here/$action/${arg[RoleName]}.json" ;;
"ram GetPolicyVersion")
    jq -e --arg v "${arg[VersionId]}" 'select(.PolicyVersion.VersionId == $v)' \
        "$here/GetPolicyVersion/${arg[PolicyType]}/${arg[PolicyName]}.json"
    ;;
"resourcemanager GetAccount")
    jq -n --arg a "${arg[AccountId]}" '{Account: {AccountId: $a, ResourceDirectoryPath: "rd-Xy12Zw/r-Ab12Cd/\($a)"}}'
    ;;
"resourcemanager ListControlPolicyAttachmentsForTarget") cat "$here/$action/${arg[TargetId]}.json" ;;
"resourcemanager GetControlPolicy") cat "$here/$action/${arg[PolicyId]}.json" ;;
*)
    echo "fake-aliyun: unexpected call: $product $action" >&2
    exit 3
    ;;
esac
