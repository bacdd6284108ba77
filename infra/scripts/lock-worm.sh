#!/usr/bin/env bash
# Locks the time-based retention (WORM) policies the Bicep creates with enableImmutability=true on
# the compliance record (raw-items, raw-attachments, mime-messages). The Bicep leaves them unlocked,
# so a mistaken retention period can still be fixed. Locking is IRREVERSIBLE: a locked policy can
# only be extended, never shortened or removed, and neither the containers nor the storage account
# can be deleted while any blob is under retention. A locked time-based policy is what SEC Rule
# 17a-4(f), FINRA Rule 4511(c) and CFTC Rule 1.31(c)-(d) ask of electronic records storage.
# https://learn.microsoft.com/en-us/azure/storage/blobs/immutable-policy-configure-container-scope#lock-a-time-based-retention-policy
# https://learn.microsoft.com/en-us/azure/storage/blobs/immutable-storage-overview#regulatory-compliance
#
# Usage: infra/scripts/lock-worm.sh -g <resource group> -n <storage account> [--confirm <storage account>]
# Without --confirm it shows each policy and asks you to type the account name.
set -euo pipefail
group=""; account=""; confirm=""
while [ $# -gt 0 ]; do
  case "$1" in
    -g|--resource-group) group="$2"; shift 2 ;;
    -n|--account-name) account="$2"; shift 2 ;;
    --confirm) confirm="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
: "${group:?pass -g <resource group>}"
: "${account:?pass -n <storage account> (deployment output AZURE_STORAGE_ACCOUNT_NAME)}"
# The containers the Bicep made immutable, from the one storage layout (infra/storage-layout.json).
layout="$(cd "$(dirname "$0")/.." && pwd)/storage-layout.json"
read -r -a containers < <(node -p "require('$layout').immutableContainers.join(' ')")

for c in "${containers[@]}"; do
  state=$(az storage container immutability-policy show -g "$group" --account-name "$account" -c "$c" --query "[state, immutabilityPeriodSinceCreationInDays]" -o tsv 2>/dev/null | tr '\t\n' '  ' || true)
  case "$state" in
    "") echo "$c: no immutability policy (deploy with enableImmutability=true first)" >&2; exit 1 ;;
    Locked*) echo "$c: already locked ($state)" ;;
    *) echo "$c: $state" ;;
  esac
done

if [ "$confirm" != "$account" ]; then
  if [ ! -t 0 ]; then echo "not locked: pass --confirm $account to lock without a prompt" >&2; exit 1; fi
  echo
  echo "Locking cannot be undone: retention can then only be extended, and the account cannot be deleted"
  echo "until every blob's retention has passed. Type the storage account name to lock: "
  read -r typed
  [ "$typed" = "$account" ] || { echo "not locked: the name did not match" >&2; exit 1; }
fi

for c in "${containers[@]}"; do
  read -r state etag < <(az storage container immutability-policy show -g "$group" --account-name "$account" -c "$c" --query "[state, etag]" -o tsv | tr '\t' ' ')
  if [ "$state" = "Locked" ]; then continue; fi
  az storage container immutability-policy lock -g "$group" --account-name "$account" -c "$c" --if-match "$etag" --output none
  echo "$c: locked"
done
