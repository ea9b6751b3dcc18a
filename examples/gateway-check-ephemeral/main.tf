# The gateway check that never stores the key (Terraform 1.10+, OpenTofu 1.11+): an ephemeral foundry_gateway_check
# is opened at plan and at apply and written to neither state nor plan files, and the key comes from an ephemeral
# variable, which the connection takes write-only (api_key_wo, Terraform 1.11+ / OpenTofu 1.11+).
#
# On the run that creates the connection the plan shows the check's results as unknown (the connection does not
# exist yet); the apply opens it again after the create, so the check {} below is judged then. Tested on
# terraform 1.11 and tofu 1.12 (tests/e2e/test_gatewaycheck_ephemeral.py).
terraform {
  required_version = ">= 1.11"
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

variable "gateway_url" {
  description = "Base URL of the APIM API (what comes before /deployments/{name}/chat/completions)."
  type        = string
}

variable "gateway_key" {
  description = "The APIM subscription key: ephemeral, so it is in no state or plan file."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "key_version" {
  description = "Raise it when the key rotates: the write-only key is sent again."
  type        = number
  default     = 1
}

resource "foundry_gateway_connection" "apim" {
  parent_id              = var.project_id
  name                   = "apim-checked"
  category               = "ApiManagement"
  target                 = var.gateway_url
  auth_type              = "ApiKey"
  api_key_wo             = var.gateway_key
  api_key_wo_version     = var.key_version
  deployment_in_path     = true
  inference_api_version  = "2024-10-21"
  deployment_api_version = "2024-10-21"
  models = [
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
  ]
}

ephemeral "foundry_gateway_check" "apim" {
  connection_id = foundry_gateway_connection.apim.id
  api_key       = var.gateway_key
  inference     = true # one chat completion per model, max_tokens = 1

  # An error instead of a warning: uncomment to fail the run when the gateway does not work.
  # lifecycle {
  #   postcondition {
  #     condition     = self.ok
  #     error_message = "The gateway does not work as Foundry will use it."
  #   }
  # }
}

# A warning: the run goes on. The problems themselves are in the provider's log (TF_LOG=INFO), because an
# ephemeral value cannot be printed in a message.
check "gateway" {
  assert {
    condition     = ephemeral.foundry_gateway_check.apim.ok
    error_message = "The gateway does not work as Foundry will use it: plan with TF_LOG=INFO to see each problem."
  }
}
