terraform {
  required_version = ">= 1.5"
  required_providers {
    foundry = {
      # Three-part source: the same configuration works with Terraform and OpenTofu.
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

# Authentication follows azapi/azurerm: arguments here, or the ARM_* environment variables
# (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_USE_OIDC, ARM_USE_MSI, ...).
# With nothing configured, the Azure CLI login is used.
provider "foundry" {
  # tenant_id     = "00000000-0000-0000-0000-000000000000"
  # client_id     = "11111111-1111-1111-1111-111111111111"
  # client_secret = var.client_secret
  # api_version   = "2026-09-01"
}
