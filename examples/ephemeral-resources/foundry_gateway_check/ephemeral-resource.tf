ephemeral "foundry_gateway_check" "apim" {
  connection_id = foundry_gateway_connection.apim.id
  api_key       = var.gateway_key # an ephemeral variable: stored nowhere
  inference     = true
}

check "gateway" {
  assert {
    condition     = ephemeral.foundry_gateway_check.apim.ok
    error_message = "The gateway does not work as Foundry will use it: plan with TF_LOG=INFO to see each problem."
  }
}
