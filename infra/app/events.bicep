// The Event Grid system topic of the storage account. On Flex Consumption a blob trigger must use
// the Event Grid source; the subscriptions that deliver BlobCreated events to the converter and the
// mapping upload function need the app's blobs_extension key, which exists only once the code is
// deployed, so infra/scripts/postdeploy.sh creates them. Events that cannot be delivered within the
// retry policy are dead-lettered into a container of the same account, written with the topic's own
// identity (the account refuses shared keys), which may write to that container only.
// https://learn.microsoft.com/en-us/azure/azure-functions/functions-event-grid-blob-trigger
// https://learn.microsoft.com/en-us/azure/event-grid/manage-event-delivery#managed-identity
param name string
param location string
param tags object
param storageAccountName string
param deadLetterContainer string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  name: '${storageAccountName}/default/${deadLetterContainer}'
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// Storage Blob Data Contributor on the dead-letter container only.
var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: deadLetters
  name: guid(deadLetters.id, topic.id, blobDataContributor)
  properties: {
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
  }
}

output name string = topic.name
output id string = topic.id
