terraform {
  required_version = ">= 1.5"
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

locals {
  use_key = var.subscription_key != null
}

resource "foundry_gateway_connection" "this" {
  parent_id = var.project_id
  name      = var.name
  category  = "ApiManagement"
  target    = "${trimsuffix(var.gateway_url, "/")}/${trimprefix(var.api_path, "/")}"
  auth_type = local.use_key ? "ApiKey" : "ProjectManagedIdentity"
  api_key   = var.subscription_key

  shared_to_all         = var.shared_to_all
  deployment_in_path    = true
  inference_api_version = var.inference_api_version

  models = length(var.models) > 0 ? var.models : null

  # With no static list, Foundry asks APIM for the deployments (APIM's defaults).
  model_discovery = length(var.models) > 0 ? null : {
    list_models_endpoint = "/deployments"
    get_model_endpoint   = "/deployments/{deploymentName}"
    deployment_provider  = "AzureOpenAI"
  }
}
