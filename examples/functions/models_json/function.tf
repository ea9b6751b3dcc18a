# The exact `models` metadata string Foundry reads, for a raw azapi body.
locals {
  models = provider::foundry::models_json([
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
  ])
}
