#!/usr/bin/env bash
# One SFTP local user per sftp-zip connector on the landing account: home directory its landing
# container, permissions create, write and list there only (no read back, no delete). Azure generates
# the password; it goes straight into Key Vault as sftp-<connector>-password, for you to give the
# vendor (never printed). Safe to repeat: an existing user keeps its password unless --new-password.
# https://learn.microsoft.com/en-us/azure/storage/blobs/secure-file-transfer-protocol-support-how-to
# Needs: AZURE_RESOURCE_GROUP, AZURE_LANDING_ACCOUNT_NAME, AZURE_KEY_VAULT_NAME, AZURE_SFTP_CONNECTORS (comma-separated).
set -euo pipefail
: "${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP}"
: "${AZURE_LANDING_ACCOUNT_NAME:?set AZURE_LANDING_ACCOUNT_NAME (deployment output)}"
: "${AZURE_KEY_VAULT_NAME:?set AZURE_KEY_VAULT_NAME (deployment output)}"
: "${AZURE_SFTP_CONNECTORS:?set AZURE_SFTP_CONNECTORS (deployment output)}"
renew=false
[ "${1:-}" = "--new-password" ] && renew=true

IFS=',' read -r -a ids <<< "$AZURE_SFTP_CONNECTORS"
for id in "${ids[@]}"; do
  container="landing-${id}"
  existing=$(az storage account local-user show -g "$AZURE_RESOURCE_GROUP" --account-name "$AZURE_LANDING_ACCOUNT_NAME" -n "$id" --query name -o tsv 2>/dev/null || true)
  az storage account local-user create -g "$AZURE_RESOURCE_GROUP" --account-name "$AZURE_LANDING_ACCOUNT_NAME" -n "$id" \
    --home-directory "$container" --permission-scope permissions=cwl service=blob resource-name="$container" \
    --has-ssh-password true --output none
  if [ -z "$existing" ] || [ "$renew" = true ]; then
    password=$(az storage account local-user regenerate-password -g "$AZURE_RESOURCE_GROUP" --account-name "$AZURE_LANDING_ACCOUNT_NAME" -n "$id" --query sshPassword -o tsv)
    az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" -n "sftp-${id}-password" --value "$password" --output none
    unset password
    echo "SFTP user ${AZURE_LANDING_ACCOUNT_NAME}.${id}: password in Key Vault secret sftp-${id}-password"
  else
    echo "SFTP user ${AZURE_LANDING_ACCOUNT_NAME}.${id}: exists; password unchanged (--new-password to rotate)"
  fi
done
