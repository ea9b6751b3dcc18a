# A module a team would publish: one APIM gateway connection on a Foundry project, with the models it serves.
# tests/ holds its `terraform test` / `tofu test` suites, in three recipes (docs/guides/testing-modules.md):
#   emulator.tftest.hcl  plan and apply against the local ARM emulator (foundry-emulator.pyz from the release)
#   mock.tftest.hcl      no emulator at all: mock_provider, with the computed values a mock needs
#   override.tftest.hcl  override_resource on a mocked provider
#   stored.tftest.hcl    what ARM stores after an apply, read back by this provider's data source in a later run
terraform {
  required_version = ">= 1.7"
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

variable "project_id" {
  description = "ARM id of the Foundry project."
  type        = string
}

variable "name" {
  type    = string
  default = "apim-gateway"
}

variable "gateway_url" {
  description = "Base URL of the APIM API that fronts the models."
  type        = string
}

variable "subscription_key" {
  type      = string
  sensitive = true
}

variable "models" {
  description = "Deployment names behind the gateway."
  type        = list(string)
  default     = ["gpt-4o"]
}

resource "foundry_gateway_connection" "this" {
  parent_id          = var.project_id
  name               = var.name
  category           = "ApiManagement"
  target             = var.gateway_url
  auth_type          = "ApiKey"
  api_key            = var.subscription_key
  deployment_in_path = true
  models = [
    for m in var.models : { name = m, model_name = m, model_format = "OpenAI" }
  ]
}

output "id" {
  value = foundry_gateway_connection.this.id
}

output "name" {
  value = foundry_gateway_connection.this.name
}
