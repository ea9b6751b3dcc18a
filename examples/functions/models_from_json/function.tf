output "model_names" {
  value = [for m in provider::foundry::models_from_json(data.azapi_resource.conn.output.properties.metadata.models) : m.model_name]
}
