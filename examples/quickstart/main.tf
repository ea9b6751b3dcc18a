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
  description = "APIM subscription key Foundry sends to the gateway."
  type        = string
  sensitive   = true
}

# Foundry agents reach Azure OpenAI through API Management with a subscription key;
# the model list is static.
resource "foundry_gateway_connection" "apim" {
  parent_id = var.project_id
  name      = "apim-quickstart"
  category  = "ApiManagement"
  target    = "https://contoso-apim.azure-api.net/foundry"
  auth_type = "ApiKey"
  api_key   = var.apim_subscription_key

  deployment_in_path    = true
  inference_api_version = "2024-10-21"

  models = [
    {
      name          = "gpt-4o"
      model_name    = "gpt-4o"
      model_version = "2024-11-20"
      model_format  = "OpenAI"
    },
    {
      name          = "gpt-4o-mini"
      model_name    = "gpt-4o-mini"
      model_version = "2024-07-18"
      model_format  = "OpenAI"
    },
  ]
}

output "connection_id" {
  value = foundry_gateway_connection.apim.id
}

# What agents put in their model setting: <connection>/<model> (none when the gateway discovers models).
output "agent_model_names" {
  value = [for m in coalesce(foundry_gateway_connection.apim.models, []) : "${foundry_gateway_connection.apim.name}/${m.name}"]
}
