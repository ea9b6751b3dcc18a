output "connection_id" {
  description = "ARM id of the connection."
  value       = foundry_gateway_connection.this.id
}

output "connection_name" {
  description = "Name of the connection."
  value       = foundry_gateway_connection.this.name
}

output "agent_model_names" {
  description = "Model names as agents use them: \"<connection>/<model>\" (static models only)."
  value       = [for m in var.models : "${foundry_gateway_connection.this.name}/${m.name}"]
}
