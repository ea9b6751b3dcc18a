# Recipe 2: no emulator, no Azure: the provider is mocked. A mock makes up computed values, so the ones the module's
# assertions read are given (id, and metadata, which the real provider computes from the attributes).
mock_provider "foundry" {
  mock_resource "foundry_gateway_connection" {
    defaults = {
      id       = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/proj/connections/apim-gateway"
      metadata = { deploymentInPath = "true" }
    }
  }
}

variables {
  project_id       = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/proj"
  gateway_url      = "https://contoso-apim.azure-api.net/foundry"
  subscription_key = "mock-key"
}

run "models_become_typed_entries" {
  variables {
    models = ["gpt-4o", "o3-mini"]
  }

  assert {
    condition     = [for m in foundry_gateway_connection.this.models : m.name] == ["gpt-4o", "o3-mini"]
    error_message = "every model must be an entry."
  }
  assert {
    condition     = output.id == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/proj/connections/apim-gateway"
    error_message = "the mock's id comes through."
  }
}
