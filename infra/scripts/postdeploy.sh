#!/usr/bin/env bash
# After the code is deployed: point Event Grid BlobCreated events at the blob extension endpoint of
# the two blob-triggered functions (converter: raw-items/; mappingUpload: mapping-uploads/incoming/).
# The endpoint needs the app's blobs_extension system key, which exists only once the app has run.
# Safe to run again. Needs: az CLI, signed in; variables from azd or the deployment outputs.
# https://learn.microsoft.com/en-us/azure/azure-functions/functions-event-grid-blob-trigger
set -euo pipefail
: "${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP}"
: "${AZURE_FUNCTION_APP_NAME:?set AZURE_FUNCTION_APP_NAME}"
: "${AZURE_EVENTGRID_SYSTEM_TOPIC_NAME:?set AZURE_EVENTGRID_SYSTEM_TOPIC_NAME}"

key=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  echo "waiting for the blobs_extension key (attempt $attempt of 10)..."
  sleep 15
done
[ -n "$key" ] || { echo "no blobs_extension key: has the code been deployed and has the app started?" >&2; exit 1; }

host=$(az functionapp show -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query defaultHostName -o tsv)
subscribe() { # name function subject-prefix
  az eventgrid system-topic event-subscription create \
    -g "$AZURE_RESOURCE_GROUP" --system-topic-name "$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" -n "$1" \
    --endpoint "https://${host}/runtime/webhooks/blobs?functionName=Host.Functions.$2&code=${key}" \
    --included-event-types Microsoft.Storage.BlobCreated \
    --subject-begins-with "/blobServices/default/containers/$3" \
    --event-delivery-schema EventGridSchema \
    --max-delivery-attempts 30 --event-ttl 1440 --output none
  echo "Event Grid subscription $1 -> $2"
}
subscribe converter-raw-items converter raw-items/
subscribe mapping-uploads mappingUpload mapping-uploads/blobs/incoming/
