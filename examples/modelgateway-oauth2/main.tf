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

variable "oauth2_client_secret" {
  type      = string
  sensitive = true
}

# A gateway behind an OAuth2 identity provider: Foundry fetches tokens with the
# client-credentials flow and discovers models with OpenAI's /models API (the wire
# body of notes/arm-connections.md 2.4, second example).
resource "foundry_gateway_connection" "oauth2" {
  parent_id = var.project_id
  name      = "gateway-oauth2"
  category  = "ModelGateway"
  target    = "https://gateway.example.com/v1"
  auth_type = "OAuth2"

  oauth2 = {
    client_id     = "gateway-client"
    client_secret = var.oauth2_client_secret
    token_url     = "https://idp.example.com/oauth2/token"
    scopes        = ["gateway.read"]
  }

  inference_api_version = ""

  model_discovery = {
    list_models_endpoint = "/models"
    get_model_endpoint   = "/models/{deploymentName}"
    deployment_provider  = "OpenAI"
  }
}
