<#
Limits the app's mailbox access to the members of one mail-enabled security group, with Exchange
Online RBAC for Applications. Run in PowerShell with the ExchangeOnlineManagement module, as an
Exchange administrator.

The scope bites only once the tenant-wide Graph grant is gone: remove the app's Entra app-role
assignment of Mail.ReadWrite (and Mail-Advanced.ReadWrite.All) afterwards, otherwise the tenant-wide
consent still grants access to every mailbox. User.Read.All stays (it is a directory permission).
https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
#>
param(
  [Parameter(Mandatory)] [string] $ClientId,          # AZURE_MANAGED_IDENTITY_CLIENT_ID
  [Parameter(Mandatory)] [string] $ObjectId,          # the managed identity's enterprise application object id
  [Parameter(Mandatory)] [string] $GroupSmtpAddress,  # e.g. mobile-archive-users@contoso.com
  [switch] $ImportMime
)
$ErrorActionPreference = 'Stop'
Connect-ExchangeOnline

if (-not (Get-ServicePrincipal -Identity $ClientId -ErrorAction SilentlyContinue)) {
  New-ServicePrincipal -AppId $ClientId -ObjectId $ObjectId -DisplayName 'mobile-archive-connector'
}
$group = Get-DistributionGroup -Identity $GroupSmtpAddress
$scopeName = 'mobile-archive-connector users'
if (-not (Get-ManagementScope -Identity $scopeName -ErrorAction SilentlyContinue)) {
  New-ManagementScope -Name $scopeName -RecipientRestrictionFilter "MemberOfGroup -eq '$($group.DistinguishedName)'"
}
$roles = @('Application Mail.ReadWrite')
if ($ImportMime) { $roles += 'Application Mail-Advanced.ReadWrite' }
foreach ($role in $roles) {
  New-ManagementRoleAssignment -App $ClientId -Role $role -CustomResourceScope $scopeName
}
Write-Host "Done. Now remove the tenant-wide Mail.ReadWrite app-role assignment of the identity in Entra ID so that only this scope applies."
Write-Host "Check: Test-ServicePrincipalAuthorization -Identity $ClientId -Resource <a member's mailbox>"
