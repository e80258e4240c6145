# Container Apps: the environment and the four services. Each app's environment variables are listed in
# full below (app_settings: plain values; app_secrets: Key Vault references), so a reviewer, and
# tests/environment.unit.test.ts, can read exactly what each service gets.

resource "azurerm_container_app_environment" "main" {
  name                       = "cae-${local.token}"
  location                   = azurerm_resource_group.main.location
  resource_group_name        = azurerm_resource_group.main.name
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id
  tags                       = local.tags
}

locals {
  # An app's FQDN is <app name>.<environment default domain>; computing it avoids a cycle between an app
  # and the settings that carry its own public URL (VOICE_CALLBACK_BASE_URL, WEBCHAT_PUBLIC_URL, bot endpoint).
  app_names    = { for service, _ in local.services : service => "ca-${service}-${local.token}" }
  service_urls = { for service, name in local.app_names : service => "https://${name}.${azurerm_container_app_environment.main.default_domain}" }

  servicebus_namespace = "${azurerm_servicebus_namespace.main.name}.servicebus.windows.net"

  # What runs until `azd deploy` pushes a service's image. With ingress on and no probes declared, Container Apps
  # probes the target port over TCP, so the placeholder must listen there: the ASP.NET sample listens on
  # ASPNETCORE_HTTP_PORTS (dotnet/dotnet-docker samples/aspnetapp/README.md), the quickstart image only on 80.
  placeholder_image = "mcr.microsoft.com/dotnet/samples:aspnetapp"

  # The services whose real image runs already: azd deploy pushed it to this state's registry (a name left in the
  # azd environment by an older state points at another registry and does not count). Only those get the HTTP
  # probes on /healthz and /readyz: on the provision after the first deploy (`azd up` again, README step 7).
  http_probes = {
    for service, _ in local.services : service => startswith(
      try(var.deployed_images[service], ""), "${azurerm_container_registry.main.login_server}/"
    )
  }

  app_settings = {
    "voice-adapter" = {
      PORT                                = "7071"
      AZURE_CLIENT_ID                     = azurerm_user_assigned_identity.service["voice-adapter"].client_id
      SERVICEBUS_NAMESPACE                = local.servicebus_namespace
      COSMOS_ENDPOINT                     = azurerm_cosmosdb_account.main.endpoint
      COSMOS_DATABASE                     = local.cosmos_database
      CONVERSATION_DRIVER                 = "foundry"
      FOUNDRY_PROJECT_ENDPOINT            = local.foundry_project_endpoint
      FOUNDRY_MODEL                       = azurerm_cognitive_deployment.model.name
      SCENARIO                            = local.scenario
      ACS_ENDPOINT                        = local.acs_endpoint
      VOICE_CALLBACK_BASE_URL             = local.service_urls["voice-adapter"]
      COGNITIVE_SERVICES_ENDPOINT         = azurerm_cognitive_account.foundry.endpoint
      HANDOFF_WAIT_TIME_THRESHOLD_SECONDS = tostring(var.handoff_wait_time_threshold_seconds)
      HANDOFF_QUEUE_DEPTH_THRESHOLD       = tostring(var.handoff_queue_depth_threshold)
      VOICE_HUMAN_QUEUE                   = var.voice_human_queue
    }
    "whatsapp-adapter" = {
      PORT                             = "7072"
      AZURE_CLIENT_ID                  = azurerm_user_assigned_identity.service["whatsapp-adapter"].client_id
      SERVICEBUS_NAMESPACE             = local.servicebus_namespace
      COSMOS_ENDPOINT                  = azurerm_cosmosdb_account.main.endpoint
      COSMOS_DATABASE                  = local.cosmos_database
      CONVERSATION_DRIVER              = "foundry"
      FOUNDRY_PROJECT_ENDPOINT         = local.foundry_project_endpoint
      FOUNDRY_MODEL                    = azurerm_cognitive_deployment.model.name
      SCENARIO                         = local.scenario
      ACS_ENDPOINT                     = local.acs_endpoint
      WHATSAPP_CHANNEL_REGISTRATION_ID = var.whatsapp_channel_registration_id
      WHATSAPP_TEMPLATE_NAME           = var.whatsapp_template_name
      SMS_FROM_NUMBER                  = var.sms_from_number
    }
    "webchat-adapter" = {
      PORT                     = "7073"
      AZURE_CLIENT_ID          = azurerm_user_assigned_identity.service["webchat-adapter"].client_id
      SERVICEBUS_NAMESPACE     = local.servicebus_namespace
      COSMOS_ENDPOINT          = azurerm_cosmosdb_account.main.endpoint
      COSMOS_DATABASE          = local.cosmos_database
      CONVERSATION_DRIVER      = "foundry"
      FOUNDRY_PROJECT_ENDPOINT = local.foundry_project_endpoint
      FOUNDRY_MODEL            = azurerm_cognitive_deployment.model.name
      SCENARIO                 = local.scenario
      MicrosoftAppId           = azurerm_user_assigned_identity.service["webchat-adapter"].client_id
      MicrosoftAppType         = "UserAssignedMSI"
      MicrosoftAppTenantId     = data.azurerm_client_config.current.tenant_id
      WEBCHAT_PUBLIC_URL       = local.service_urls["webchat-adapter"]
      BOT_AUTH_DISABLED        = "false"
    }
    "channel-router" = {
      PORT                                = "7074"
      AZURE_CLIENT_ID                     = azurerm_user_assigned_identity.service["channel-router"].client_id
      SERVICEBUS_NAMESPACE                = local.servicebus_namespace
      COSMOS_ENDPOINT                     = azurerm_cosmosdb_account.main.endpoint
      COSMOS_DATABASE                     = local.cosmos_database
      WEBCHAT_PUBLIC_URL                  = local.service_urls["webchat-adapter"]
      HANDOFF_EXPIRY                      = var.handoff_expiry
      HANDOFF_WAIT_TIME_THRESHOLD_SECONDS = tostring(var.handoff_wait_time_threshold_seconds)
      HANDOFF_QUEUE_DEPTH_THRESHOLD       = tostring(var.handoff_queue_depth_threshold)
      # Customer export reads, and erasure deletes, the customer's Foundry conversations.
      FOUNDRY_PROJECT_ENDPOINT = local.foundry_project_endpoint
    }
  }

  # Environment variable => Key Vault secret name (main.tf). Each service can read only these secrets (roles.tf).
  # Voice and WhatsApp never issue or redeem handoff tokens, so they do not get the token key.
  app_secrets = {
    "voice-adapter" = {
      EVENTGRID_WEBHOOK_SECRET              = "eventgrid-webhook-secret"
      REDIS_URL                             = "redis-url"
      APPLICATIONINSIGHTS_CONNECTION_STRING = "applicationinsights-connection-string"
    }
    "whatsapp-adapter" = {
      EVENTGRID_WEBHOOK_SECRET              = "eventgrid-webhook-secret"
      REDIS_URL                             = "redis-url"
      APPLICATIONINSIGHTS_CONNECTION_STRING = "applicationinsights-connection-string"
    }
    "webchat-adapter" = {
      HANDOFF_TOKEN_KEY                     = "handoff-token-key"
      DIRECTLINE_SECRET                     = "directline-secret"
      REDIS_URL                             = "redis-url"
      APPLICATIONINSIGHTS_CONNECTION_STRING = "applicationinsights-connection-string"
    }
    "channel-router" = {
      HANDOFF_TOKEN_KEY                     = "handoff-token-key"
      OPS_API_KEY                           = "ops-api-key"
      REDIS_URL                             = "redis-url"
      APPLICATIONINSIGHTS_CONNECTION_STRING = "applicationinsights-connection-string"
    }
  }
}

resource "azurerm_container_app" "service" {
  for_each                     = local.services
  name                         = local.app_names[each.key]
  container_app_environment_id = azurerm_container_app_environment.main.id
  resource_group_name          = azurerm_resource_group.main.name
  revision_mode                = "Single"
  # azd finds the app to deploy each service to by this tag.
  tags = merge(local.tags, { "azd-service-name" = each.key })

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.service[each.key].id]
  }

  registry {
    server   = azurerm_container_registry.main.login_server
    identity = azurerm_user_assigned_identity.service[each.key].id
  }

  dynamic "secret" {
    for_each = local.app_secrets[each.key]
    content {
      name                = secret.value
      key_vault_secret_id = azurerm_key_vault_secret.main[secret.value].versionless_id
      identity            = azurerm_user_assigned_identity.service[each.key].id
    }
  }

  ingress {
    # Azure (ACS, Event Grid, Bot Service, browsers) calls every service from outside; the router only for its ops API.
    external_enabled = true
    target_port      = each.value.port
    transport        = "auto"
    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = each.value.min_replicas
    max_replicas = each.value.max_replicas

    container {
      name = each.key
      # Placeholder until `azd deploy` pushes the service's image (ignored below, so Terraform does not roll it back).
      image  = local.placeholder_image
      cpu    = 0.5
      memory = "1Gi"

      # The placeholder's port; unused by the services themselves.
      env {
        name  = "ASPNETCORE_HTTP_PORTS"
        value = tostring(each.value.port)
      }

      dynamic "env" {
        for_each = local.app_settings[each.key]
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.app_secrets[each.key]
        content {
          name        = env.key
          secret_name = env.value
        }
      }
      # No HTTP probes on the placeholder: it has no /healthz or /readyz, and a revision that never gets ready
      # expires the provisioning. Until then the platform's default TCP probes on the target port apply.
      dynamic "liveness_probe" {
        for_each = local.http_probes[each.key] ? [each.value.port] : []
        content {
          transport     = "HTTP"
          port          = liveness_probe.value
          path          = "/healthz"
          initial_delay = 10
        }
      }

      dynamic "readiness_probe" {
        for_each = local.http_probes[each.key] ? [each.value.port] : []
        content {
          transport = "HTTP"
          port      = readiness_probe.value
          path      = "/readyz"
        }
      }
    }

    dynamic "http_scale_rule" {
      for_each = each.value.http_concurrency == null ? [] : [each.value.http_concurrency]
      content {
        name                = "http-concurrency"
        concurrent_requests = tostring(http_scale_rule.value)
      }
    }

    dynamic "custom_scale_rule" {
      # queue-status is a broadcast of a few snapshots a minute: its backlog says nothing about load.
      for_each = { for key, subscription in local.sb.subscriptions : key => subscription if subscription.name == each.value.servicebus_scale_subscriber && subscription.topic != "queue-status" }
      content {
        name             = "sb-${replace(custom_scale_rule.key, "/", "-")}"
        custom_rule_type = "azure-servicebus"
        metadata = {
          namespace        = azurerm_servicebus_namespace.main.name
          topicName        = custom_scale_rule.value.topic
          subscriptionName = custom_scale_rule.value.name
          messageCount     = tostring(each.value.servicebus_message_count)
        }
        # KEDA reads the backlog with the service's own identity (Service Bus Data Receiver), not a SAS key.
        identity_id = azurerm_user_assigned_identity.service[each.key].id
      }
    }
  }

  lifecycle {
    ignore_changes = [template[0].container[0].image]
  }

  # The identity must be able to read its secrets and pull images before the first revision starts, and the
  # assignments must have reached Key Vault and the registry ("Unable to get value using Managed identity").
  depends_on = [time_sleep.service_rbac]
}
