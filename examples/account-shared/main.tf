terraform {
  required_version = ">= 1.5"
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

provider "foundry" {}

variable "account_id" {
  description = "ARM id of the Foundry (Cognitive Services) account."
  type        = string
  default     = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct"
}

variable "apim_subscription_key" {
  type      = string
  sensitive = true
}

# An account-level connection (Microsoft.CognitiveServices/accounts/connections),
# shared with every project of the account.
resource "foundry_gateway_connection" "shared" {
  parent_id     = var.account_id
  name          = "apim-shared"
  category      = "ApiManagement"
  target        = "https://contoso-apim.azure-api.net/shared"
  auth_type     = "ApiKey"
  api_key       = var.apim_subscription_key
  shared_to_all = true

  models = [
    {
      name          = "gpt-4o"
      model_name    = "gpt-4o"
      model_version = "2024-11-20"
      model_format  = "OpenAI"
    },
  ]
}
