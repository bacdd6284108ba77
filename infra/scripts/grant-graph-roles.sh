#!/usr/bin/env bash
# Grants Microsoft Graph application roles to the app's managed identity: Mail.ReadWrite (create
# messages and folders) and User.Read.All (confirm a user, or an alias, has a mailbox); with --advanced
# also Mail-Advanced.ReadWrite.All: the beta importMime, and from 2026-12-31 adding attachments to the
# non-draft copies (https://devblogs.microsoft.com/microsoft365dev/graph-api-updates-to-sensitive-email-properties).
# --import-mime is the older name of --advanced. Needs a Global Administrator or Privileged Role
# Administrator signed in to the az CLI. For a national cloud pass --graph https://graph.microsoft.us
# (or https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn).
# https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignments
set -euo pipefail
principal="${AZURE_MANAGED_IDENTITY_PRINCIPAL_ID:-}"
graph="https://graph.microsoft.com"
roles=(Mail.ReadWrite User.Read.All)
while [ $# -gt 0 ]; do
  case "$1" in
    --principal) principal="$2"; shift 2 ;;
    --graph) graph="$2"; shift 2 ;;
    --advanced|--import-mime) roles+=(Mail-Advanced.ReadWrite.All); shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
: "${principal:?pass --principal <object id of the managed identity> or set AZURE_MANAGED_IDENTITY_PRINCIPAL_ID}"

graph_sp=$(az rest --method GET --url "$graph/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?\$select=id,appRoles" -o json)
graph_sp_id=$(echo "$graph_sp" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for role in "${roles[@]}"; do
  role_id=$(echo "$graph_sp" | python3 -c "import json,sys; print(next((r['id'] for r in json.load(sys.stdin)['appRoles'] if r['value']=='$role'), ''))")
  if [ -z "$role_id" ]; then echo "$role: Microsoft Graph in this cloud publishes no such application role; not granted" >&2; exit 1; fi
  existing=$(az rest --method GET --url "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments" --query "value[?appRoleId=='$role_id'] | length(@)" -o tsv)
  if [ "$existing" != "0" ]; then echo "$role: already granted"; continue; fi
  az rest --method POST --url "$graph/v1.0/servicePrincipals/$principal/appRoleAssignments" \
    --headers Content-Type=application/json \
    --body "{\"principalId\":\"$principal\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" --output none
  echo "$role: granted"
done
