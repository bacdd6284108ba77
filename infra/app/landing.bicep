// The SFTP landing zone of the sftp-zip connectors (docs/sources.md): a storage account of its own,
// because SFTP needs a hierarchical namespace, with one container per connector. The vendor writes
// there as an SFTP local user per connector, home directory its container (infra/scripts/sftp-users.sh
// creates them and puts their passwords in Key Vault); the app only reads. BlobCreated events go
// through this account's Event Grid system topic to the zipLanded function (postdeploy.sh subscribes
// it once the code is deployed).
// https://learn.microsoft.com/en-us/azure/storage/blobs/secure-file-transfer-protocol-support
// https://learn.microsoft.com/en-us/azure/storage/blobs/secure-file-transfer-protocol-support-how-to
param name string
param topicName string
param location string
param tags object
@description('The sftp-zip connector ids: one landing container each.')
param connectorIds array
@description('The app identity, given Storage Blob Data Reader on this account.')
param principalId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    isHnsEnabled: true
    isSftpEnabled: true
    // SFTP local users authenticate themselves; the Blob API is identity only.
    isLocalUserEnabled: true
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for id in connectorIds: {
    parent: blobService
    name: 'landing-${id}'
    properties: { publicAccess: 'None' }
  }
]

// Storage Blob Data Reader: the app reads the ZIPs and never changes what the vendor delivered.
var blobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: account
  name: guid(account.id, principalId, blobDataReader)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataReader)
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output topicName string = topic.name
