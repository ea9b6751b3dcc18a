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

# APIM with Entra ID: Foundry calls the gateway with the project's managed identity
# (audience defaults to https://cognitiveservices.azure.com), and discovers the
# deployments at run time instead of listing them.
resource "foundry_gateway_connection" "apim_dynamic" {
  parent_id = var.project_id
  name      = "apim-dynamic"
  category  = "ApiManagement"
  target    = "https://contoso-apim.azure-api.net/openai"
  auth_type = "ProjectManagedIdentity"

  deployment_in_path     = true
  inference_api_version  = "2024-10-21"
  deployment_api_version = "2024-10-21"

  model_discovery = {
    list_models_endpoint = "/deployments"
    get_model_endpoint   = "/deployments/{deploymentName}"
    deployment_provider  = "AzureOpenAI"
  }
}

output "audience" {
  value = foundry_gateway_connection.apim_dynamic.audience
}
