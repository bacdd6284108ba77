// The Flex Consumption Function App (Node.js 22) running as the user-assigned identity. App settings
// are every setting shared/app/settings.ts requires (a test checks this file against the schema)
// and none that Flex Consumption forbids (the runtime lives in functionAppConfig).
// https://learn.microsoft.com/en-us/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainer string
param appInsightsConnectionString string
param keyVaultUri string
param connectors array
@description('Blob endpoint of the SFTP landing account; empty when no connector is sftp-zip.')
param landingBlobEndpoint string = ''
param archiveSchedule string
param graphNationalCloud string
param graphImportMode string
param mappingDefaultRegion string
param maximumInstanceCount int
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: { minTlsVersion: '1.2' }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: instanceMemoryMB }
      runtime: { name: 'node', version: '22' }
    }
  }
}

// One group of settings per connector, e.g. CONNECTOR__O2__PRODUCT. The password is a Key Vault
// reference resolved by the platform with the app's identity.
// The source kind decides which sign-in settings a connector has (docs/sources.md).
var connectorSettings = reduce(connectors, {}, (acc, c) => union(acc, {
  'CONNECTOR__${toUpper(c.id)}__PRODUCT': c.product
  'CONNECTOR__${toUpper(c.id)}__SOURCE': c.?source ?? 'http-api'
  'CONNECTOR__${toUpper(c.id)}__ENABLED': string(c.?enabled ?? true)
  'CONNECTOR__${toUpper(c.id)}__AUTO_MAPPING': string(c.?autoMapping ?? true)
  'CONNECTOR__${toUpper(c.id)}__CUSTOM_MAPPING': string(c.?customMapping ?? false)
}, (c.?source ?? 'http-api') == 'http-api' ? {
  'CONNECTOR__${toUpper(c.id)}__ARCHIVER_URL': c.archiverUrl
  'CONNECTOR__${toUpper(c.id)}__USERNAME': c.username
  'CONNECTOR__${toUpper(c.id)}__PASSWORD': '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/archiver-${c.id}-password)'
} : {}, (c.?source ?? 'http-api') == 'smtp-mailbox' ? {
  'CONNECTOR__${toUpper(c.id)}__JOURNAL_MAILBOX': c.journalMailbox
  'CONNECTOR__${toUpper(c.id)}__JOURNAL_FOLDER': c.?journalFolder ?? 'inbox'
  'CONNECTOR__${toUpper(c.id)}__PROCESSED_FOLDER': c.?processedFolder ?? 'Archived by mobile-archive-connector'
  'CONNECTOR__${toUpper(c.id)}__ATTENTION_FOLDER': c.?attentionFolder ?? 'Needs attention'
} : {}, contains(c, 'emlRules') ? { 'CONNECTOR__${toUpper(c.id)}__EML_RULES': string(c.emlRules) } : {}, contains(c, 'folderName') ? { 'CONNECTOR__${toUpper(c.id)}__FOLDER_NAME': c.folderName } : {}, contains(c, 'safetyLagMinutes') ? { 'CONNECTOR__${toUpper(c.id)}__SAFETY_LAG_MINUTES': string(c.safetyLagMinutes) } : {}, contains(c, 'startFrom') ? { 'CONNECTOR__${toUpper(c.id)}__START_FROM': c.startFrom } : {}))

// The SFTP landing account, identity-based like the host's storage (only when an sftp-zip connector exists).
var landingSettings = empty(landingBlobEndpoint) ? {} : {
  LandingStorage__blobServiceUri: landingBlobEndpoint
  LandingStorage__credential: 'managedidentity'
  LandingStorage__clientId: identityClientId
}

var appSettings = union({
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  ARCHIVE_SCHEDULE: archiveSchedule
  ARCHIVE_CONNECTORS: join(map(connectors, c => c.id), ',')
  BLOB_TRIGGER_SOURCE: 'EventGrid'
  GRAPH_NATIONAL_CLOUD: graphNationalCloud
  GRAPH_TENANT_ID: tenant().tenantId
  GRAPH_CLIENT_ID: identityClientId
  GRAPH_IMPORT_MODE: graphImportMode
  MAPPING_DEFAULT_REGION: mappingDefaultRegion
}, connectorSettings, landingSettings)

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
