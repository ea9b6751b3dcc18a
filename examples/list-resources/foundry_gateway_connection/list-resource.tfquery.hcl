# terraform query (Terraform 1.14+): every gateway connection of an account and its projects.
#   terraform query                                    lists them
#   terraform query -generate-config-out=generated.tf  writes import blocks and configuration; add the keys
list "foundry_gateway_connection" "all" {
  provider = foundry
  config {
    parent_id        = var.account_id
    include_projects = true
  }
}
