# Reads a connection back as ARM stores it (tests/stored.tftest.hcl).
terraform {
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

variable "parent_id" {
  type = string
}

variable "name" {
  type = string
}

data "foundry_gateway_connection" "stored" {
  parent_id = var.parent_id
  name      = var.name
}
