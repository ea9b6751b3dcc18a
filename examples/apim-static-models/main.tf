terraform {
  required_version = ">= 1.5"
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

# Credentials and endpoints come from the ARM_* environment variables (see docs/index.md);
# `scripts/demo.sh` points them at the local ARM emulator.
provider "foundry" {}

variable "project_id" {
  description = "ARM id of the Foundry project that owns the connection."
  type        = string
  default     = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main"
}

variable "apim_subscription_key" {
  type      = string
  sensitive = true
}

# APIM with a static model list and a subscription key (the wire body of
# notes/arm-connections.md 2.4, first example).
resource "foundry_gateway_connection" "apim_static" {
  parent_id = var.project_id
  name      = "apim-static"
  category  = "ApiManagement"
  target    = "https://contoso-apim.azure-api.net/foundry"
  auth_type = "ApiKey"
  api_key   = var.apim_subscription_key

  deployment_in_path = false

  models = [
    {
      name          = "gpt-4o-deployment"
      model_name    = "gpt-4o"
      model_version = "2024-11-20"
      model_format  = "OpenAI"
    },
  ]
}

output "connection_id" {
  value = foundry_gateway_connection.apim_static.id
}
