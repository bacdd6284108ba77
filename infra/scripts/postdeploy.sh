#!/usr/bin/env bash
# After the code is deployed: point Event Grid BlobCreated events at the blob extension endpoint of
# the two blob-triggered functions (converter: raw-items/; mappingUpload: mapping-uploads/incoming/),
# with a dead-letter container for events that cannot be delivered (written with the system topic's
# own identity; infra/app/events.bicep grants it that container only).
# The endpoint needs the app's blobs_extension system key, which exists only once the host has
# started, and on a first deployment the host can start only once its role assignments on the
# storage account have propagated (up to about ten minutes), so this waits for the key.
# Safe to run again. Needs: az CLI, signed in; variables from azd or the deployment outputs.
# https://learn.microsoft.com/en-us/azure/azure-functions/functions-event-grid-blob-trigger
# https://learn.microsoft.com/en-us/rest/api/eventgrid/controlplane/system-topic-event-subscriptions/create-or-update
set -euo pipefail
: "${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP}"
: "${AZURE_FUNCTION_APP_NAME:?set AZURE_FUNCTION_APP_NAME}"
: "${AZURE_EVENTGRID_SYSTEM_TOPIC_NAME:?set AZURE_EVENTGRID_SYSTEM_TOPIC_NAME}"
: "${AZURE_STORAGE_ACCOUNT_ID:?set AZURE_STORAGE_ACCOUNT_ID (deployment output)}"
# The container name comes from the deployment output, else from the one storage layout.
layout="$(cd "$(dirname "$0")/.." && pwd)/storage-layout.json"
deadletters="${AZURE_EVENTGRID_DEADLETTER_CONTAINER:-$(node -p "require('$layout').eventGridDeadLetterContainer")}"
wait_minutes="${POSTDEPLOY_WAIT_MINUTES:-20}"

key=""
deadline=$(( $(date +%s) + wait_minutes * 60 ))
attempt=0
while :; do
  attempt=$((attempt + 1))
  key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    cat >&2 <<MSG
No blobs_extension key after ${wait_minutes} minutes: the Functions host of $AZURE_FUNCTION_APP_NAME has not started.
Check, in this order:
  1. Role propagation: the app identity needs Storage Blob Data Owner, Storage Queue Data Contributor and
     Storage Table Data Contributor on the storage account (az role assignment list --assignee <AZURE_MANAGED_IDENTITY_PRINCIPAL_ID> --all).
     New assignments can take ten minutes or more; then restart the app: az functionapp restart -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_APP_NAME
  2. Start-up errors: in Application Insights, traces and exceptions of the last hour (an invalid app setting is
     named there: "Invalid app settings"); a missing archiver password only stops its own connector.
  3. The code package: if the last deployment failed, deploy again (azd deploy, or infra/scripts/publish.sh).
Then run this script again (it is safe to repeat):
  AZURE_RESOURCE_GROUP=$AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME=$AZURE_FUNCTION_APP_NAME \\
  AZURE_EVENTGRID_SYSTEM_TOPIC_NAME=$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME AZURE_STORAGE_ACCOUNT_ID=$AZURE_STORAGE_ACCOUNT_ID ./infra/scripts/postdeploy.sh
Until then no blob event reaches the converter; the hourly reconciliation sweep converts raw items once the app runs.
MSG
    exit 1
  fi
  echo "waiting for the Functions host to start and create its blobs_extension key (attempt $attempt; role assignments can take minutes to propagate)..."
  sleep 30
done

host=$(az functionapp show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query defaultHostName -o tsv)
topic_id=$(az eventgrid system-topic show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" --query id -o tsv)
subscribe() { # name function subject-prefix
  local body
  body=$(cat <<JSON
{
  "properties": {
    "destination": {
      "endpointType": "WebHook",
      "properties": { "endpointUrl": "https://${host}/runtime/webhooks/blobs?functionName=Host.Functions.$2&code=${key}" }
    },
    "filter": {
      "includedEventTypes": ["Microsoft.Storage.BlobCreated"],
      "subjectBeginsWith": "/blobServices/default/containers/$3"
    },
    "eventDeliverySchema": "EventGridSchema",
    "retryPolicy": { "maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440 },
    "deadLetterWithResourceIdentity": {
      "identity": { "type": "SystemAssigned" },
      "deadLetterDestination": {
        "endpointType": "StorageBlob",
        "properties": { "resourceId": "${AZURE_STORAGE_ACCOUNT_ID}", "blobContainerName": "${deadletters}" }
      }
    }
  }
}
JSON
)
  # A URL without a host is a resource id on the current cloud's Resource Manager endpoint.
  az rest --method PUT --url "${topic_id}/eventSubscriptions/$1?api-version=2022-06-15" \
    --headers Content-Type=application/json --body "$body" --output none
  echo "Event Grid subscription $1 -> $2 (undeliverable events dead-lettered to $deadletters)"
}
subscribe converter-raw-items converter raw-items/
subscribe mapping-uploads mappingUpload mapping-uploads/blobs/incoming/

# sftp-zip connectors: the landing account's events go to the zipLanded Event Grid trigger, and each
# connector's SFTP local user is created (infra/scripts/sftp-users.sh). Undelivered events are not
# lost: each scheduled run sweeps the landing containers (docs/sources.md).
if [ -n "${AZURE_LANDING_TOPIC_NAME:-}" ]; then
  eg_key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query "systemKeys.eventgrid_extension" -o tsv)
  landing_topic_id=$(az eventgrid system-topic show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_LANDING_TOPIC_NAME" --query id -o tsv)
  landing_body=$(cat <<JSON
{
  "properties": {
    "destination": {
      "endpointType": "WebHook",
      "properties": { "endpointUrl": "https://${host}/runtime/webhooks/eventgrid?functionName=zipLanded&code=${eg_key}" }
    },
    "filter": {
      "includedEventTypes": ["Microsoft.Storage.BlobCreated"],
      "subjectBeginsWith": "/blobServices/default/containers/landing-"
    },
    "eventDeliverySchema": "EventGridSchema",
    "retryPolicy": { "maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440 }
  }
}
JSON
)
  az rest --method PUT --url "${landing_topic_id}/eventSubscriptions/zip-landed?api-version=2022-06-15" \
    --headers Content-Type=application/json --body "$landing_body" --output none
  echo "Event Grid subscription zip-landed -> zipLanded"
  "$(dirname "$0")/sftp-users.sh"
fi
