data "foundry_gateway_connections" "account" {
  parent_id        = var.account_id # a project id lists that project's connections only
  include_projects = true
}

output "broken" {
  value = [for c in data.foundry_gateway_connections.account.connections : c.id if length(c.findings) > 0]
}
