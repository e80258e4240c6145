# Outputs are named after the environment variables they feed: azd stores them in the environment
# (`azd env get-values`), and the postprovision hook writes them into apps/<service>/.env.azure.
# Secrets are never outputs: they stay in Key Vault (AZURE_KEY_VAULT_NAME) and the hook reads them there.

output "AZURE_LOCATION" { value = azurerm_resource_group.main.location }
output "AZURE_TENANT_ID" { value = data.azurerm_client_config.current.tenant_id }
output "AZURE_RESOURCE_GROUP" { value = azurerm_resource_group.main.name }
output "AZURE_CONTAINER_REGISTRY_ENDPOINT" { value = azurerm_container_registry.main.login_server }
output "AZURE_CONTAINER_APPS_ENVIRONMENT_ID" { value = azurerm_container_app_environment.main.id }
output "AZURE_KEY_VAULT_NAME" { value = azurerm_key_vault.main.name }

output "SERVICEBUS_NAMESPACE" { value = local.servicebus_namespace }
output "COSMOS_ENDPOINT" { value = azurerm_cosmosdb_account.main.endpoint }
output "COSMOS_DATABASE" { value = local.cosmos_database }
output "CONVERSATION_DRIVER" { value = "foundry" }
output "FOUNDRY_PROJECT_ENDPOINT" { value = local.foundry_project_endpoint }
output "FOUNDRY_MODEL" { value = azurerm_cognitive_deployment.model.name }
output "SCENARIO" { value = local.scenario }
output "COGNITIVE_SERVICES_ENDPOINT" { value = azurerm_cognitive_account.foundry.endpoint }
output "ACS_ENDPOINT" { value = local.acs_endpoint }
output "ACS_RESOURCE_ID" { value = azapi_resource.acs.id }
output "EVENTGRID_SYSTEM_TOPIC_NAME" { value = azurerm_eventgrid_system_topic.acs.name }
output "WHATSAPP_CHANNEL_REGISTRATION_ID" { value = var.whatsapp_channel_registration_id }
output "SMS_FROM_NUMBER" { value = var.sms_from_number }
output "WHATSAPP_TEMPLATE_NAME" { value = var.whatsapp_template_name }
output "VOICE_CALLBACK_BASE_URL" { value = local.service_urls["voice-adapter"] }
output "VOICE_HUMAN_QUEUE" { value = var.voice_human_queue }
output "HANDOFF_WAIT_TIME_THRESHOLD_SECONDS" { value = tostring(var.handoff_wait_time_threshold_seconds) }
output "HANDOFF_QUEUE_DEPTH_THRESHOLD" { value = tostring(var.handoff_queue_depth_threshold) }
output "HANDOFF_EXPIRY" { value = var.handoff_expiry }
output "WEBCHAT_PUBLIC_URL" { value = local.service_urls["webchat-adapter"] }
output "BOT_AUTH_DISABLED" { value = "false" }
output "MicrosoftAppId" { value = azurerm_user_assigned_identity.service["webchat-adapter"].client_id }
output "MicrosoftAppType" { value = "UserAssignedMSI" }
output "MicrosoftAppTenantId" { value = data.azurerm_client_config.current.tenant_id }

# The services' public URLs, for the postdeploy hook (Event Grid endpoints) and for people.
output "SERVICE_VOICE_ADAPTER_URI" { value = local.service_urls["voice-adapter"] }
output "SERVICE_WHATSAPP_ADAPTER_URI" { value = local.service_urls["whatsapp-adapter"] }
output "SERVICE_WEBCHAT_ADAPTER_URI" { value = local.service_urls["webchat-adapter"] }
output "SERVICE_CHANNEL_ROUTER_URI" { value = local.service_urls["channel-router"] }

# What each service reads, for the postprovision hook: plain settings by name (their values are the outputs
# above) and secrets as environment variable => Key Vault secret name.
output "SERVICE_ENVIRONMENT" {
  value = jsonencode({
    for service, settings in local.app_settings : service => {
      settings = [for name in keys(settings) : name if !contains(["AZURE_CLIENT_ID"], name)]
      secrets  = local.app_secrets[service]
    }
  })
}
