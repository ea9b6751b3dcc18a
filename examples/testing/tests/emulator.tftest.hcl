# Recipe 1: the module against the local ARM emulator. Start it once (python3 foundry-emulator.pyz --port 8443
# --tls-dir .emulator) and point the provider at it with the ARM_* variables (docs/guides/testing-modules.md).

variables {
  project_id       = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main"
  gateway_url      = "https://contoso-apim.azure-api.net/foundry"
  subscription_key = "test-subscription-key"
}

run "plan_encodes_what_foundry_reads" {
  command = plan

  assert {
    condition     = foundry_gateway_connection.this.metadata["deploymentInPath"] == "true"
    error_message = "deploymentInPath must be the string \"true\"."
  }
  assert {
    condition     = jsondecode(foundry_gateway_connection.this.metadata["models"])[0].name == "gpt-4o"
    error_message = "models must be a JSON string listing the deployments."
  }
}

run "apply_creates_the_connection" {
  variables {
    models = ["gpt-4o", "gpt-4o-mini"]
  }

  assert {
    condition     = output.id == "${var.project_id}/connections/apim-gateway"
    error_message = "unexpected connection id: ${output.id}"
  }
  assert {
    condition     = length(foundry_gateway_connection.this.models) == 2
    error_message = "both models must be configured."
  }
}
