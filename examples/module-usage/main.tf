terraform {
  required_version = ">= 1.5"
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

provider "foundry" {}

variable "project_id" {
  type    = string
  default = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main"
}

variable "apim_subscription_key" {
  type      = string
  sensitive = true
}

# In a real stack these come from the APIM resources, e.g.
#   gateway_url = azurerm_api_management.this.gateway_url
#   api_path    = azurerm_api_management_api.openai.path
#   subscription_key = azurerm_api_management_subscription.foundry.primary_key
locals {
  apim_gateway_url = "https://contoso-apim.azure-api.net"
  apim_api_path    = "openai"
}

module "gateway_with_key" {
  source = "../modules/apim-gateway-connection"

  project_id       = var.project_id
  name             = "apim-module-key"
  gateway_url      = local.apim_gateway_url
  api_path         = local.apim_api_path
  subscription_key = var.apim_subscription_key
  models = [
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20" },
    { name = "o3-mini", model_name = "o3-mini", model_version = "2025-01-31" },
  ]
}

module "gateway_with_identity" {
  source = "../modules/apim-gateway-connection"

  project_id  = var.project_id
  name        = "apim-module-mi"
  gateway_url = local.apim_gateway_url
  api_path    = local.apim_api_path
}

output "agent_model_names" {
  value = module.gateway_with_key.agent_model_names
}

output "identity_connection_id" {
  value = module.gateway_with_identity.connection_id
}
