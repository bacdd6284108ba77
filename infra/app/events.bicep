// The Event Grid system topic of the storage account. On Flex Consumption a blob trigger must use
// the Event Grid source; the subscriptions that deliver BlobCreated events to the converter and the
// mapping upload function need the app's blobs_extension key, which exists only once the code is
// deployed, so infra/scripts/postdeploy.sh creates them.
// https://learn.microsoft.com/en-us/azure/azure-functions/functions-event-grid-blob-trigger
param name string
param location string
param tags object
param storageAccountId string

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
