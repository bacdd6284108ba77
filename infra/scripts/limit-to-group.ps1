<#
Limits the app's mailbox access to the members of one mail-enabled security group, with Exchange
Online RBAC for Applications. Run in PowerShell with the ExchangeOnlineManagement module, as an
Exchange administrator.

Exchange publishes its application roles under names like "Application Mail.ReadWrite"; the script
assigns only roles Exchange publishes (it checks with Get-ManagementRole) and stops with the list of
published ones otherwise. Exchange publishes no application role for Mail-Advanced.ReadWrite.All: if
the app holds that Graph permission (importMime, or attachments on non-draft copies after
2026-12-31), it stays a tenant-wide Entra grant, and the script says so.

The scope bites only once the tenant-wide Graph grant is gone: remove the app's Entra app-role
assignment of Mail.ReadWrite afterwards, otherwise the tenant-wide consent still grants access to
every mailbox. User.Read.All stays (it is a directory permission).
https://learn.microsoft.com/en-us/exchange/permissions-exo/application-rbac
#>
param(
  [Parameter(Mandatory)] [string] $ClientId,          # AZURE_MANAGED_IDENTITY_CLIENT_ID
  [Parameter(Mandatory)] [string] $ObjectId,          # the managed identity's enterprise application object id
  [Parameter(Mandatory)] [string] $GroupSmtpAddress   # e.g. mobile-archive-users@contoso.com
)
$ErrorActionPreference = 'Stop'
Connect-ExchangeOnline

$roles = @('Application Mail.ReadWrite')
$published = Get-ManagementRole | Where-Object { $_.Name -like "Application *" } | Select-Object -ExpandProperty Name
foreach ($role in $roles) {
  if ($published -notcontains $role) {
    throw "Exchange publishes no application role '$role'. Published: $($published -join ', ')"
  }
}

if (-not (Get-ServicePrincipal -Identity $ClientId -ErrorAction SilentlyContinue)) {
  New-ServicePrincipal -AppId $ClientId -ObjectId $ObjectId -DisplayName 'mobile-archive-connector'
}
$group = Get-DistributionGroup -Identity $GroupSmtpAddress
$scopeName = 'mobile-archive-connector users'
if (-not (Get-ManagementScope -Identity $scopeName -ErrorAction SilentlyContinue)) {
  New-ManagementScope -Name $scopeName -RecipientRestrictionFilter "MemberOfGroup -eq '$($group.DistinguishedName)'"
}
foreach ($role in $roles) {
  $existing = Get-ManagementRoleAssignment -RoleAssignee $ClientId -Role $role -ErrorAction SilentlyContinue |
    Where-Object { $_.CustomResourceScope -eq $scopeName }
  if ($existing) { Write-Host "$role on '$scopeName': already assigned"; continue }
  New-ManagementRoleAssignment -App $ClientId -Role $role -CustomResourceScope $scopeName
  Write-Host "$role on '$scopeName': assigned"
}
Write-Host "Mail-Advanced.ReadWrite.All has no Exchange application role: if you granted it (grant-graph-roles.sh --advanced), it applies to every mailbox."
Write-Host "Now remove the tenant-wide Mail.ReadWrite app-role assignment of the identity in Entra ID so that only this scope applies."
Write-Host "Check: Test-ServicePrincipalAuthorization -Identity $ClientId -Resource <a member's mailbox>  (InScope must be True)"
