# Guard an account: every gateway connection in it and in its projects, made by whatever tool, is audited for the
# mistakes that let a connection be created and not work (a metadata key in another case than Foundry reads, a
# `models` value that is not a JSON string, ...). The check {} warns on every plan with each finding and its fix; a
# postcondition instead would fail the run.
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
  type    = string
  default = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct"
}

data "foundry_gateway_connections" "all" {
  parent_id        = var.account_id
  include_projects = true
}

check "gateway_connections" {
  assert {
    condition = alltrue([for c in data.foundry_gateway_connections.all.connections : length(c.findings) == 0])
    error_message = join("\n", flatten([
      for c in data.foundry_gateway_connections.all.connections : [for f in c.findings : "${c.id}: ${f}"]
    ]))
  }
}

output "connections" {
  value = { for c in data.foundry_gateway_connections.all.connections : c.id => c.findings }
}
