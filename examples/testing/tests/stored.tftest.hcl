# Recipe 3: what ARM stores after an apply, read back in a later run by this provider's own data source
# (tests/read), against the emulator as in recipe 1.

variables {
  project_id       = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main"
  gateway_url      = "https://contoso-apim.azure-api.net/foundry"
  subscription_key = "test-subscription-key"
  name             = "apim-stored"
}

run "apply" {}

run "arm_stores_the_exact_body" {
  module {
    source = "./tests/read"
  }

  # From the first run's outputs (both CLIs read run.<name>.<output>; a run's own variables are its module's).
  variables {
    parent_id = regex("^(.*)/connections/[^/]+$", run.apply.id)[0]
    name      = run.apply.name
  }

  assert {
    condition     = data.foundry_gateway_connection.stored.metadata["deploymentInPath"] == "true"
    error_message = "ARM must hold deploymentInPath = \"true\", spelled as Foundry reads it."
  }
  assert {
    condition     = jsondecode(data.foundry_gateway_connection.stored.metadata["models"])[0].properties.model.format == "OpenAI"
    error_message = "ARM must hold models as a JSON string."
  }
  assert {
    condition     = data.foundry_gateway_connection.stored.target == "https://contoso-apim.azure-api.net/foundry"
    error_message = "target"
  }
}
