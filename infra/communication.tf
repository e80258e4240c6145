# Azure Communication Services (voice and WhatsApp) and the Event Grid system topic its events leave by.
# The event subscriptions themselves are created by the postdeploy hook (infra/hooks/postdeploy.mjs):
# Event Grid validates an endpoint when the subscription is created, so the apps must answer first.

resource "azapi_resource" "acs" {
  type      = "Microsoft.Communication/communicationServices@2023-04-01"
  name      = "acs-${local.token}"
  parent_id = azurerm_resource_group.main.id
  location  = "global"
  tags      = local.tags
  # Call Automation uses this identity to reach the AI Services account for speech (roles.tf).
  identity {
    type = "SystemAssigned"
  }
  body = {
    properties = {
      dataLocation = "United States"
    }
  }
  response_export_values = ["properties.hostName"]
}

locals {
  acs_endpoint = "https://${azapi_resource.acs.output.properties.hostName}/"
}

resource "azurerm_eventgrid_system_topic" "acs" {
  name                = "evgt-acs-${local.token}"
  location            = "global"
  resource_group_name = azurerm_resource_group.main.name
  source_resource_id  = azapi_resource.acs.id
  topic_type          = "Microsoft.Communication.CommunicationServices"
  tags                = local.tags
}
