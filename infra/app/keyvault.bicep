// Key Vault in RBAC mode for the archiver passwords. App settings hold Key Vault references, never
// the passwords; the app's identity may read secrets and nothing else.
param name string
param location string
param tags object
param principalId string
param connectorIds array
@secure()
param passwords object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

// Only passwords given at deployment are written; others are set later with `az keyvault secret set`.
resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for id in connectorIds: if (contains(passwords, id)) {
  parent: vault
  name: 'archiver-${id}-password'
  properties: { value: contains(passwords, id) ? passwords[id] : '' }
}]

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, principalId, '4633458b-17de-408a-b874-0445c86b69e6')
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
