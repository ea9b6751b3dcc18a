# Recipe 2, continued: override_resource pins one resource's values (its own file: a mock creates a resource once,
# and the override applies to what it creates).
mock_provider "foundry" {}

variables {
  project_id       = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/proj"
  gateway_url      = "https://contoso-apim.azure-api.net/foundry"
  subscription_key = "mock-key"
}

run "override_one_resource" {
  override_resource {
    target = foundry_gateway_connection.this
    values = {
      id = "overridden"
    }
  }

  assert {
    condition     = output.id == "overridden"
    error_message = "override_resource sets the computed id."
  }
}
