variable "project_id" {
  description = "ARM id of the Foundry project (or account, for a connection shared by all projects)."
  type        = string
}

variable "name" {
  description = "Connection name; agents address models as \"<name>/<model>\"."
  type        = string
}

variable "gateway_url" {
  description = "APIM gateway URL, e.g. azurerm_api_management.this.gateway_url."
  type        = string
}

variable "api_path" {
  description = "Path of the APIM API that fronts the models, e.g. azurerm_api_management_api.openai.path."
  type        = string
}

variable "subscription_key" {
  description = "APIM subscription key. Leave null to use the project's managed identity instead (Entra ID)."
  type        = string
  default     = null
  sensitive   = true
}

variable "models" {
  description = "Deployments behind the gateway. Empty list: discover them at run time from APIM."
  type = list(object({
    name          = string
    model_name    = string
    model_version = optional(string, "")
    model_format  = optional(string, "OpenAI")
  }))
  default = []
}

variable "inference_api_version" {
  description = "api-version APIM expects on inference calls."
  type        = string
  default     = "2024-10-21"
}

variable "shared_to_all" {
  description = "Share the connection with every user of the project."
  type        = bool
  default     = false
}
