#!/usr/bin/env bash
# A stand-in for the aliyun CLI that answers as tests/snapshots/fake-aliyun.sh
# does, except where HOSTILE says to misbehave:
#   user        ListUsers lists a user named `../evil`
#   role        ListRoles lists a role named `a/b`
#   policy      alice's policies include one named `../../evil`
#   endless     ListUsers is truncated on every page, with a new Marker each time
#   stuck       ListUsers is truncated and gives the same Marker every time
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fake="$here/fake-aliyun.sh"
case "${HOSTILE:-} $1 $2" in
"user ram ListUsers")
    "$fake" "$@" | jq '.Users.User += [{UserName: "../evil"}]'
    ;;
"role ram ListRoles")
    "$fake" "$@" | jq '.Roles.Role += [{RoleName: "a/b"}]'
    ;;
"policy ram ListPoliciesForUser")
    "$fake" "$@" | jq '.Policies.Policy += [{PolicyType: "Custom", PolicyName: "../../evil", DefaultVersion: "v1"}]'
    ;;
"endless ram ListUsers")
    marker=0
    for ((i = 1; i < $#; i++)); do
        if [ "${!i}" = "--Marker" ]; then
            j=$((i + 1))
            marker=${!j}
        fi
    done
    jq -n --arg m "$((marker + 1))" '{Users: {User: [{UserName: "u\($m)"}]}, IsTruncated: true, Marker: $m}'
    ;;
"stuck ram ListUsers")
    jq -n '{Users: {User: [{UserName: "u"}]}, IsTruncated: true, Marker: "again"}'
    ;;
*) "$fake" "$@" ;;
esac
