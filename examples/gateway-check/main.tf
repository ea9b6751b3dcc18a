# Prove that a gateway connection works before an agent finds out that it does not: foundry_gateway_check makes
# the requests Foundry's agent service makes (discovery, authentication, one tiny chat completion per model) and
# reports each step. In a check {} block a broken gateway is a warning; as a postcondition it fails the run.
#
# `scripts/demo.sh` runs this against the local fake gateway (emulator/fakegw.py); against a real gateway leave
# ca_certificate and resolve out.
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

variable "gateway_url" {
  description = "Base URL of the APIM API (what comes before /deployments/{name}/chat/completions)."
  type        = string
}

variable "gateway_key" {
  description = "The APIM subscription key."
  type        = string
  sensitive   = true
}

variable "ca_certificate" {
  description = "PEM of a private CA the gateway's certificate is issued by (null: the system's trust store)."
  type        = string
  default     = null
}

variable "resolve" {
  description = "\"host:port\" = \"address:port\" entries, for private endpoints and split DNS."
  type        = map(string)
  default     = null
}

resource "foundry_gateway_connection" "apim" {
  parent_id              = var.project_id
  name                   = "apim-checked"
  category               = "ApiManagement"
  target                 = var.gateway_url
  auth_type              = "ApiKey"
  api_key                = var.gateway_key
  deployment_in_path     = true
  inference_api_version  = "2024-10-21"
  deployment_api_version = "2024-10-21"
  models = [
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
  ]
}

# A warning on every plan and apply while the gateway is not usable; the run goes on.
check "apim_gateway" {
  data "foundry_gateway_check" "apim" {
    connection_id  = foundry_gateway_connection.apim.id
    api_key        = var.gateway_key
    inference      = true
    ca_certificate = var.ca_certificate
    resolve        = var.resolve
  }

  assert {
    condition     = data.foundry_gateway_check.apim.ok
    error_message = "The gateway does not work as Foundry will use it:\n${join("\n", data.foundry_gateway_check.apim.problems)}"
  }
}

# To make a broken gateway fail the run instead, check it outside a check block with a postcondition:
#
# data "foundry_gateway_check" "strict" {
#   connection_id = foundry_gateway_connection.apim.id
#   api_key       = var.gateway_key
#   lifecycle {
#     postcondition {
#       condition     = self.ok
#       error_message = join("\n", self.problems)
#     }
#   }
# }
