// mobile-archive-connector: every Azure resource the app needs, least privilege, no secrets in
// settings. Orchestrates the modules in infra/app/; resource names derive from one token.
// Deploy with `azd up`, or `az deployment group create -f infra/main.bicep -p infra/main.parameters.json`
// (docs/deploy.md).
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(40)
@description('Environment name; resource names are derived from it.')
param environmentName string

param location string = resourceGroup().location

@description('Connectors: [{ id, product, source? (http-api | sftp-zip | smtp-mailbox), archiverUrl and username (http-api), journalMailbox, journalFolder?, processedFolder?, attentionFolder? (smtp-mailbox), emlRules? (object), autoMapping?, customMapping?, enabled?, folderName?, safetyLagMinutes?, startFrom? }]. See docs/configuration.md and docs/sources.md.')
param connectors array

@secure()
@description('Archiver passwords by connector id ({ "o2": "..." }), written to Key Vault. Leave empty and set the secrets in Key Vault yourself to keep them out of deployment history.')
param archiverPasswords object = {}

@description('When the scheduler runs: 6-field NCRONTAB in UTC.')
param archiveSchedule string = '0 0 2 * * *'

@allowed(['global', 'usgov', 'usgovdod', 'china'])
param graphNationalCloud string = 'global'

@allowed(['json', 'importMime'])
param graphImportMode string = 'json'

@description('Region (ISO 3166 alpha-2) for numbers without a country code in mapping CSVs.')
param mappingDefaultRegion string = 'US'

@description('Storage redundancy. Standard_LRS (default) is the one SKU every region offers; a compliance archive should choose Standard_GZRS (or Standard_ZRS) where the region has availability zones, Standard_GRS where it has a pair (docs/deploy.md).')
@allowed(['Standard_LRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_ZRS', 'Standard_GZRS', 'Standard_RAGZRS'])
param storageSku string = 'Standard_LRS'

@description('Put a time-based retention (WORM) policy on the raw items, attachments and converted messages.')
param enableImmutability bool = false

@description('Retention of the WORM policy in days (e.g. 2557 for seven years).')
param immutabilityRetentionDays int = 2557

@description('Who receives the alerts (empty: alerts fire without notifications).')
param alertEmail string = ''

param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName, application: 'mobile-archive-connector' }
var layout = loadJsonContent('storage-layout.json')
var deploymentContainer = 'app-package-${token}'
var sftpConnectorIds = map(filter(connectors, c => (c.?source ?? 'http-api') == 'sftp-zip'), c => c.id)

module landing 'app/landing.bicep' = if (!empty(sftpConnectorIds)) {
  name: 'landing'
  params: {
    name: 'stsftp${take(token, 18)}'
    topicName: 'evgt-sftp-${token}'
    location: location
    tags: tags
    connectorIds: sftpConnectorIds
    principalId: identity.outputs.principalId
  }
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  params: { name: 'id-mobarchive-${token}', location: location, tags: tags }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'stmob${token}'
    location: location
    tags: tags
    skuName: storageSku
    containers: layout.containers
    queues: layout.queues
    tables: layout.tables
    deploymentContainer: deploymentContainer
    immutableContainers: enableImmutability ? layout.immutableContainers : []
    immutabilityRetentionDays: immutabilityRetentionDays
    principalId: identity.outputs.principalId
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-mobarchive-${token}'
    appInsightsName: 'appi-mobarchive-${token}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: 'kv-mob${token}'
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    connectorIds: map(connectors, c => c.id)
    passwords: archiverPasswords
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  params: {
    name: 'func-mobarchive-${token}'
    planName: 'plan-mobarchive-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainer: deploymentContainer
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    connectors: connectors
    landingBlobEndpoint: empty(sftpConnectorIds) ? '' : landing.outputs.blobEndpoint
    archiveSchedule: archiveSchedule
    graphNationalCloud: graphNationalCloud
    graphImportMode: graphImportMode
    mappingDefaultRegion: mappingDefaultRegion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module operatorAuth 'app/operator-auth.bicep' = {
  name: 'operator-auth'
  params: {
    functionAppName: functionApp.outputs.name
    defaultHostName: functionApp.outputs.defaultHostName
    appUniqueName: 'mobile-archive-operators-${token}'
  }
}

module events 'app/events.bicep' = {
  name: 'events'
  params: {
    name: 'evgt-mobarchive-${token}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    deadLetterContainer: layout.eventGridDeadLetterContainer
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    eventGridTopicId: events.outputs.id
    alertEmail: alertEmail
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  params: { name: 'Mobile archive pipeline', location: location, tags: tags, appInsightsId: monitoring.outputs.appInsightsId }
}

output AZURE_LOCATION string = location
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = events.outputs.name
output AZURE_EVENTGRID_DEADLETTER_CONTAINER string = layout.eventGridDeadLetterContainer
output AZURE_STORAGE_ACCOUNT_ID string = storage.outputs.id
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output OPERATOR_APP_CLIENT_ID string = operatorAuth.outputs.clientId
output STATUS_PAGE_URL string = operatorAuth.outputs.statusPageUrl
output GRAPH_NATIONAL_CLOUD string = graphNationalCloud
output GRAPH_IMPORT_MODE string = graphImportMode
output AZURE_LANDING_ACCOUNT_NAME string = empty(sftpConnectorIds) ? '' : landing.outputs.name
output AZURE_LANDING_TOPIC_NAME string = empty(sftpConnectorIds) ? '' : landing.outputs.topicName
output AZURE_SFTP_CONNECTORS string = join(sftpConnectorIds, ',')
