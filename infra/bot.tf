# Azure Bot with the Direct Line channel. The bot's identity is the webchat-adapter's user-assigned
# managed identity (UserAssignedMSI): no app password exists.

resource "azurerm_bot_service_azure_bot" "main" {
  name                    = "bot-${local.token}"
  resource_group_name     = azurerm_resource_group.main.name
  location                = "global"
  sku                     = "F0"
  microsoft_app_type      = "UserAssignedMSI"
  microsoft_app_id        = azurerm_user_assigned_identity.service["webchat-adapter"].client_id
  microsoft_app_msi_id    = azurerm_user_assigned_identity.service["webchat-adapter"].id
  microsoft_app_tenant_id = data.azurerm_client_config.current.tenant_id
  endpoint                = "${local.service_urls["webchat-adapter"]}/api/messages"
  tags                    = local.tags
}

resource "azurerm_bot_channel_directline" "main" {
  bot_name            = azurerm_bot_service_azure_bot.main.name
  location            = azurerm_bot_service_azure_bot.main.location
  resource_group_name = azurerm_resource_group.main.name
  site {
    name                            = local.directline_site_name
    enabled                         = true
    v1_allowed                      = false
    v3_allowed                      = true
    enhanced_authentication_enabled = true
    trusted_origins                 = [local.service_urls["webchat-adapter"]]
  }
}

# The Direct Line secret, read from the channel (ARM listChannelWithKeys) straight into Key Vault.
resource "azapi_resource_action" "directline_keys" {
  type                             = "Microsoft.BotService/botServices/channels@2022-09-15"
  resource_id                      = "${azurerm_bot_service_azure_bot.main.id}/channels/DirectLineChannel"
  action                           = "listChannelWithKeys"
  method                           = "POST"
  sensitive_response_export_values = ["properties.properties.sites"]
  depends_on                       = [azurerm_bot_channel_directline.main]
}

locals {
  directline_site_name = "webchat"
  # By the site's name, not sites[0]: right after the channel is created Azure can still list its transient
  # "Default Site" first. one() fails the apply when the site is missing instead of storing another site's key.
  directline_secret = one([
    for site in azapi_resource_action.directline_keys.sensitive_output.properties.properties.sites : site.key
    if site.siteName == local.directline_site_name
  ])
}
