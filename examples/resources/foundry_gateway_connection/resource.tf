# An Azure API Management gateway in front of Azure OpenAI, with a static model list.
resource "foundry_gateway_connection" "apim" {
  parent_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main"
  name      = "apim-gateway"
  category  = "ApiManagement"
  target    = "https://contoso-apim.azure-api.net/foundry"
  auth_type = "ApiKey"
  api_key   = var.apim_subscription_key

  deployment_in_path    = false
  inference_api_version = "2024-10-21"

  models = [
    {
      name          = "gpt-4o-deployment"
      model_name    = "gpt-4o"
      model_version = "2024-11-20"
      model_format  = "OpenAI"
    },
  ]
}

variable "apim_subscription_key" {
  type      = string
  sensitive = true
}
