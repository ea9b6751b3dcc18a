output "project" {
  value = provider::foundry::parse_connection_id(foundry_gateway_connection.apim.id).project_name
}
