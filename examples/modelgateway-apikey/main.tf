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

variable "gateway_key" {
  description = "Key of the LiteLLM / Kong gateway."
  type        = string
  sensitive   = true
}

# A third-party gateway (LiteLLM, Kong) that expects the key as a bearer token.
resource "foundry_gateway_connection" "litellm" {
  parent_id = var.project_id
  name      = "litellm-gateway"
  category  = "ModelGateway"
  target    = "https://litellm.example.com/v1"
  auth_type = "ApiKey"
  api_key   = var.gateway_key

  auth_config = {
    header_name = "Authorization"
    format      = "Bearer {api_key}"
  }

  custom_headers = {
    "x-team" = "platform"
  }

  models = [
    {
      name          = "claude-sonnet"
      model_name    = "claude-sonnet-4"
      model_version = ""
      model_format  = "OpenAI"
    },
    {
      name          = "llama-70b"
      model_name    = "llama-3.3-70b"
      model_version = "1"
      model_format  = "OpenAI"
    },
  ]
}

# The metadata map Foundry receives (customHeaders stays out of it: header values are secrets).
output "metadata" {
  value = foundry_gateway_connection.litellm.metadata
}
