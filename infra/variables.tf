variable "environment_name" {
  description = "The azd environment name (AZURE_ENV_NAME); names and tags every resource."
  type        = string
  validation {
    # The names azd accepts (azure-dev cli/azd/pkg/environment/environment.go, EnvironmentNameRegexp).
    condition     = can(regex("^[a-zA-Z0-9()_.-]{1,64}$", var.environment_name))
    error_message = "environment_name: 1-64 letters, digits, -, (, ), _ or . (as azd env new accepts)."
  }
}

variable "location" {
  description = "Azure region (AZURE_LOCATION). Pick one with Azure AI Foundry (the model), Container Apps and Azure Bot Service."
  type        = string
}

variable "principal_id" {
  description = "Object id of the person or pipeline running azd (AZURE_PRINCIPAL_ID): gets the same data-plane roles as the services, to run them locally against Azure."
  type        = string
  default     = ""
}

variable "principal_type" {
  description = "User or ServicePrincipal (AZURE_PRINCIPAL_TYPE), for the deployer's role assignments; empty lets ARM look it up (azd's Terraform provider does not fill it)."
  type        = string
  default     = ""
  validation {
    condition     = contains(["", "User", "ServicePrincipal", "Group"], var.principal_type)
    error_message = "principal_type: empty, User, ServicePrincipal or Group."
  }
}

variable "scenario" {
  description = "Conversation scenario the agents run (SCENARIO): utilities or ecommerce."
  type        = string
  default     = "utilities"
}

variable "foundry_model_name" {
  description = "Model deployed in Foundry and used by the agents (FOUNDRY_MODEL)."
  type        = string
  default     = "gpt-4.1-mini"
}

variable "foundry_model_version" {
  description = "Version of the deployed model."
  type        = string
  default     = "2025-04-14"
}

variable "foundry_model_capacity" {
  description = "Deployment capacity in thousands of tokens per minute (GlobalStandard)."
  type        = number
  default     = 50
}

variable "whatsapp_channel_registration_id" {
  description = "WHATSAPP_CHANNEL_REGISTRATION_ID: the channel id shown after connecting a WhatsApp Business account to the Communication Services resource (see infra/README.md). Until it is set the whatsapp-adapter runs degraded: ready, but handoffs to WhatsApp fail over."
  type        = string
  default     = ""
}

variable "sms_from_number" {
  description = "SMS_FROM_NUMBER: the Communication Services number (E.164, SMS enabled) the whatsapp-adapter sends the SMS-link fallback from (see infra/README.md). Empty: no SMS fallback; a handoff to be delivered by SMS fails at once and the router queues a callback."
  type        = string
  default     = ""

  validation {
    condition     = var.sms_from_number == "" || can(regex("^\\+[1-9][0-9]{6,14}$", var.sms_from_number))
    error_message = "sms_from_number must be empty or an E.164 number such as +18005550100."
  }
}

variable "whatsapp_template_name" {
  description = "Approved WhatsApp template used for business-initiated handoff notices."
  type        = string
  default     = "continue_conversation"
}

variable "voice_human_queue" {
  description = "VOICE_HUMAN_QUEUE: the human agents' queue a caller is held in."
  type        = string
  default     = "support"
}

variable "handoff_wait_time_threshold_seconds" {
  description = "Offer a channel switch when the estimated wait exceeds this many seconds."
  type        = number
  default     = 120
}

variable "handoff_queue_depth_threshold" {
  description = "Offer a channel switch when more callers than this are waiting."
  type        = number
  default     = 50
}

variable "handoff_expiry" {
  description = "HANDOFF_EXPIRY: how long a handoff token stays valid (ISO 8601 duration)."
  type        = string
  default     = "PT15M"
}

variable "deployed_images" {
  description = "The image azd last deployed per service (SERVICE_<NAME>_IMAGE_NAME, written by azd deploy); empty before the first deploy. An app whose image is in this state's registry gets its HTTP probes on the next provision."
  type        = map(string)
  default     = {}
}

variable "cosmos_retention_seconds" {
  description = "Retention (Cosmos default TTL, seconds) per container, overriding infra/cosmos_containers.json, e.g. { transcripts = 2592000 }. -1: documents expire by their own ttl only."
  type        = map(number)
  default     = {}
  validation {
    condition     = alltrue([for ttl in values(var.cosmos_retention_seconds) : ttl == -1 || ttl > 0])
    error_message = "cosmos_retention_seconds values are -1 or a positive number of seconds."
  }
}
