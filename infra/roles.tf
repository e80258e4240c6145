# Least-privilege role assignments: each service's identity gets only the data planes it uses, and the
# person running azd (principal_id) the same ones, to run the services locally against this environment.

locals {
  # The data planes each service uses. tests/roles.unit.test.ts derives the same from each service's
  # configuration schema and fails when a plane is missing here.
  service_data_planes = {
    "voice-adapter"    = ["acr", "servicebus", "cosmos", "foundry", "acs"]
    "whatsapp-adapter" = ["acr", "servicebus", "cosmos", "foundry", "acs"]
    "webchat-adapter"  = ["acr", "servicebus", "cosmos", "foundry"]
    "channel-router"   = ["acr", "servicebus", "cosmos", "foundry"]
  }

  # Azure RBAC roles per plane, with their scope. Cosmos DB has its own data-plane RBAC (below). The services'
  # Service Bus rights are per entity (servicebus_sends, servicebus_receives); the namespace-wide Sender here is the
  # developer's only (deployer_planes), who may run any service locally.
  # ACS has no data-plane role for Call Automation or Advanced Messaging: Entra ID callers are authorised by a
  # built-in role on the Communication Services resource itself (scoped to that one resource). ACS does not honour
  # custom roles, and every built-in role it honours (Contributor, Owner, Communication and Email Service Owner)
  # includes ListKeys: the adapters can read the access key, and no narrower grant exists (docs/adr/0041-acs-role-stays-contributor.md).
  rbac_planes = {
    acr        = { scope = azurerm_container_registry.main.id, roles = ["AcrPull"] }
    servicebus = { scope = azurerm_servicebus_namespace.main.id, roles = ["Azure Service Bus Data Sender"] }
    foundry    = { scope = azurerm_cognitive_account.foundry.id, roles = ["Cognitive Services OpenAI User", "Azure AI User"] }
    acs        = { scope = azapi_resource.acs.id, roles = ["Contributor"] }
  }

  # Service Bus send rights, per entity: the queues and topics each service publishes to (the event types it creates,
  # routed by EVENT_ROUTES in packages/contracts). tests/servicebus-rights.unit.test.ts derives the same map from the
  # services' code and fails when it differs. The channel-router sends to every entity: besides its own events it
  # redrives dead letters back to any queue or subscription's topic (docs/adr/0085, 0086).
  servicebus_publishes = {
    "voice-adapter"    = ["conversation-events", "handoff-events", "queue-events"]
    "whatsapp-adapter" = ["conversation-events", "escalations", "handoff-events", "inbound-messages"]
    "webchat-adapter"  = ["conversation-events", "escalations", "handoff-events", "inbound-messages"]
    "channel-router"   = ["conversation-events", "escalations", "handoff-events", "inbound-messages", "queue-events", "queue-status"]
  }

  servicebus_sends = {
    for item in flatten([
      for service, entities in local.servicebus_publishes : [
        for entity in entities : { key = "${service}/${entity}", service = service, entity = entity }
      ]
    ]) : item.key => item
  }

  # Service Bus receive rights, per entity: each service's own subscriptions (named after it in the generated
  # topology), and the escalations queue for the router. Its KEDA scale rules read the same subscriptions.
  servicebus_receives = merge(
    {
      for item in flatten([
        for service, planes in local.service_data_planes : [
          for key, subscription in local.sb.subscriptions : {
            key     = "${service}/${key}"
            service = service
            scope   = azurerm_servicebus_subscription.main[key].id
          } if subscription.name == service
        ] if contains(planes, "servicebus")
      ]) : item.key => item
    },
    {
      "channel-router/escalations" = { service = "channel-router", scope = azurerm_servicebus_queue.main["escalations"].id }
    },
  )

  service_role_assignments = {
    for item in flatten([
      for service, planes in local.service_data_planes : [
        for plane in planes : [
          for role in try(local.rbac_planes[plane].roles, []) : {
            key     = "${service}/${plane}/${role}"
            service = service
            plane   = plane
            role    = role
          } if plane != "servicebus" # per entity: servicebus_sends, servicebus_receives
        ]
      ]
    ]) : item.key => item
  }

  # One assignment per (service, secret) pair, scoped to the secret: a service cannot read another's secrets.
  service_secret_reads = {
    for item in flatten([
      for service, secrets in local.app_secrets : [
        for secret in distinct(values(secrets)) : { key = "${service}/${secret}", service = service, secret = secret }
      ]
    ]) : item.key => item
  }

  cosmos_users = toset([for service, planes in local.service_data_planes : service if contains(planes, "cosmos")])

  # Cosmos DB Built-in Data Contributor (a data-plane role definition of the account).
  cosmos_data_contributor = "${azurerm_cosmosdb_account.main.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"

  # The developer receives namespace-wide (any service can be run locally); the services per subscription.
  deployer_planes = var.principal_id == "" ? {} : merge(
    {
      for item in flatten([
        for plane, definition in local.rbac_planes : [
          for role in definition.roles : { key = "${plane}/${role}", plane = plane, role = role } if plane != "acr"
        ]
      ]) : item.key => item
    },
    {
      "servicebus/Azure Service Bus Data Receiver" = { plane = "servicebus", role = "Azure Service Bus Data Receiver" }
    },
  )
}

resource "azurerm_role_assignment" "service" {
  for_each             = local.service_role_assignments
  scope                = local.rbac_planes[each.value.plane].scope
  role_definition_name = each.value.role
  principal_id         = azurerm_user_assigned_identity.service[each.value.service].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "service_send" {
  for_each             = local.servicebus_sends
  scope                = contains(keys(local.sb.queues), each.value.entity) ? azurerm_servicebus_queue.main[each.value.entity].id : azurerm_servicebus_topic.main[each.value.entity].id
  role_definition_name = "Azure Service Bus Data Sender"
  principal_id         = azurerm_user_assigned_identity.service[each.value.service].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "service_receive" {
  for_each             = local.servicebus_receives
  scope                = each.value.scope
  role_definition_name = "Azure Service Bus Data Receiver"
  principal_id         = azurerm_user_assigned_identity.service[each.value.service].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "service_secret" {
  for_each             = local.service_secret_reads
  scope                = azurerm_key_vault_secret.main[each.value.secret].resource_versionless_id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.service[each.value.service].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_cosmosdb_sql_role_assignment" "service" {
  for_each            = local.cosmos_users
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
  role_definition_id  = local.cosmos_data_contributor
  principal_id        = azurerm_user_assigned_identity.service[each.key].principal_id
  scope               = "${azurerm_cosmosdb_account.main.id}/dbs/${local.cosmos_database}"
}

# Call Automation's speech recognition and synthesis run on the AI Services account as the ACS resource.
resource "azurerm_role_assignment" "acs_speech" {
  scope                = azurerm_cognitive_account.foundry.id
  role_definition_name = "Cognitive Services User"
  principal_id         = azapi_resource.acs.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

# Whoever runs Terraform writes the Key Vault secrets.
resource "azurerm_role_assignment" "deployer_key_vault_officer" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

# Azure RBAC is eventually consistent: an assignment can take a minute (documented: up to 10) to reach the data
# plane that checks it. Without these waits the first apply fails with ForbiddenByRbac (Key Vault secrets written
# by the deployer) or "Unable to get value using Managed identity" (container apps reading their secrets).
resource "time_sleep" "key_vault_rbac" {
  create_duration = "90s"
  depends_on      = [azurerm_role_assignment.deployer_key_vault_officer]
}

resource "time_sleep" "service_rbac" {
  create_duration = "90s"
  depends_on      = [
    azurerm_role_assignment.service,
    azurerm_role_assignment.service_send,
    azurerm_role_assignment.service_receive,
    azurerm_role_assignment.service_secret,
    azurerm_cosmosdb_sql_role_assignment.service,
    azurerm_role_assignment.acs_speech,
  ]
}

# The developer (AZURE_PRINCIPAL_ID) gets the services' data planes to run them locally (postprovision .env).
resource "azurerm_role_assignment" "deployer" {
  for_each             = local.deployer_planes
  scope                = local.rbac_planes[each.value.plane].scope
  role_definition_name = each.value.role
  principal_id         = var.principal_id
  principal_type       = local.principal_type
}

resource "azurerm_cosmosdb_sql_role_assignment" "deployer" {
  count               = var.principal_id == "" ? 0 : 1
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
  role_definition_id  = local.cosmos_data_contributor
  principal_id        = var.principal_id
  scope               = "${azurerm_cosmosdb_account.main.id}/dbs/${local.cosmos_database}"
}
