locals {
  connection_id = provider::foundry::connection_id(var.project_id, "apim-gateway")
}
