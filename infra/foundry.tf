# Azure AI Foundry: an AI Services account (also the speech endpoint of Call Automation), a project the
# agents live in, and the model deployment they run on. Entra ID only (no keys).

resource "azurerm_cognitive_account" "foundry" {
  name                       = "ais-${local.state_token}"
  location                   = azurerm_resource_group.main.location
  resource_group_name        = azurerm_resource_group.main.name
  kind                       = "AIServices"
  sku_name                   = "S0"
  custom_subdomain_name      = "ais-${local.state_token}"
  local_auth_enabled         = false
  project_management_enabled = true
  identity {
    type = "SystemAssigned"
  }
  tags = local.tags
}

resource "azapi_resource" "foundry_project" {
  type      = "Microsoft.CognitiveServices/accounts/projects@2025-06-01"
  name      = "omnichannel"
  parent_id = azurerm_cognitive_account.foundry.id
  location  = azurerm_resource_group.main.location
  tags      = local.tags
  identity {
    type = "SystemAssigned"
  }
  body = {
    properties = {
      displayName = "Omnichannel Handoff"
      description = "Agents of the ${local.scenario} scenario (pnpm agents:sync)."
    }
  }
}

resource "azurerm_cognitive_deployment" "model" {
  name                 = var.foundry_model_name
  cognitive_account_id = azurerm_cognitive_account.foundry.id
  model {
    format  = "OpenAI"
    name    = var.foundry_model_name
    version = var.foundry_model_version
  }
  sku {
    name     = "GlobalStandard"
    capacity = var.foundry_model_capacity
  }
}

locals {
  foundry_project_endpoint = "https://${azurerm_cognitive_account.foundry.custom_subdomain_name}.services.ai.azure.com/api/projects/${azapi_resource.foundry_project.name}"
}
