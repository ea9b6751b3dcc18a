data "foundry_gateway_check" "apim" {
  connection_id = foundry_gateway_connection.apim.id
  api_key       = var.apim_subscription_key
  inference     = true # one chat completion per model, max_tokens = 1
}

output "gateway_problems" {
  value = data.foundry_gateway_check.apim.problems
}
