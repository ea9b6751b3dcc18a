# Read an existing connection (for example one managed by another team) to reuse its models.
data "foundry_gateway_connection" "shared" {
  parent_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main"
  name      = "apim-gateway"
}

output "gateway_models" {
  value = [for m in coalesce(data.foundry_gateway_connection.shared.models, []) : "${data.foundry_gateway_connection.shared.name}/${m.name}"]
}
