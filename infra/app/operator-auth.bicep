// Sign-in for the status page and the operator API (/api/status, /api/operator/...): a Microsoft
// Entra ID app registration with the operator app role, its service principal with assignment
// required (only users or groups given the role can sign in), and App Service authentication on the
// function app. The app itself then checks the role in X-MS-CLIENT-PRINCIPAL
// (shared/admin/operator-principal.ts). Entra ID objects are declared through the Microsoft Graph
// Bicep extension (infra/bicepconfig.json; https://learn.microsoft.com/graph/templates/bicep/overview-bicep-templates-for-graph);
// deploying them needs Application.ReadWrite.All (or Application.ReadWrite.OwnedBy) for whoever deploys.
extension microsoftGraphV1

param functionAppName string
param defaultHostName string
@description('Unique name of the app registration in the tenant (Graph uniqueName): the deployment updates it in place on every run.')
param appUniqueName string

// The value shared/admin/operator-principal.ts requires (OPERATOR_ROLE).
var operatorRole = 'Archive.Operator'

resource operatorApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: appUniqueName
  displayName: 'Mobile archive connector: operators (${functionAppName})'
  signInAudience: 'AzureADMyOrg'
  web: {
    // App Service authentication's callback (https://learn.microsoft.com/en-us/azure/app-service/configure-authentication-provider-aad).
    redirectUris: ['https://${defaultHostName}/.auth/login/aad/callback']
    implicitGrantSettings: { enableIdTokenIssuance: true }
  }
  appRoles: [
    {
      id: guid(appUniqueName, operatorRole)
      value: operatorRole
      displayName: 'Archive operator'
      description: 'Reads the status page and operator API of the mobile archive connector, downloads its logs and mapping, re-drives items and tests connectors.'
      allowedMemberTypes: ['User']
      isEnabled: true
    }
  ]
}

resource operatorPrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: operatorApp.appId
  appRoleAssignmentRequired: true
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// https://learn.microsoft.com/en-us/azure/app-service/configure-authentication-file-based (authsettingsV2 schema)
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      // Event Grid delivers to the host's webhooks (blob trigger, zipLanded) with an extension system key, not as a user.
      excludedPaths: ['/runtime/webhooks/blobs', '/runtime/webhooks/eventgrid']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: operatorApp.appId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: { allowedAudiences: [operatorApp.appId] }
      }
    }
    login: { tokenStore: { enabled: false } }
  }
}

output clientId string = operatorApp.appId
output servicePrincipalId string = operatorPrincipal.id
output statusPageUrl string = 'https://${defaultHostName}/api/status'
