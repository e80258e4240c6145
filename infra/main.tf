# Omnichannel Handoff on Azure, provisioned by `azd up` (infra provider: terraform).
# Resources are split by concern: monitoring and secrets here; servicebus.tf, cosmos.tf, redis.tf,
# communication.tf, foundry.tf, bot.tf, apps.tf and roles.tf beside it; outputs.tf names every output after
# the environment variable it feeds.

data "azurerm_client_config" "current" {}

# A new suffix for every new Terraform state, on the names that must not be reused after `azd down`: the Key Vault
# and the AI Services account (a soft-deleted one blocks its name: purge protection, FlagMustBeSetForRestore) and
# the registry (an image name azd kept from an older state must not look deployed: apps.tf, http_probes).
resource "random_string" "deployment" {
  length  = 6
  upper   = false
  special = false
}

locals {
  # A short, stable suffix: globally unique names without random state.
  token = substr(sha256("${data.azurerm_client_config.current.subscription_id}/${var.environment_name}/${var.location}"), 0, 8)
  # The token plus the per-state suffix, for the three names above.
  state_token = "${local.token}${random_string.deployment.result}"
  scenario    = var.scenario == "" ? "utilities" : var.scenario
  # azd's Terraform provider fills AZURE_PRINCIPAL_ID but not AZURE_PRINCIPAL_TYPE: when it is unknown, send none
  # and let ARM look the principal up (a hard-coded "User" fails under a service principal: UnmatchedPrincipalType).
  principal_type = var.principal_type == "" ? null : var.principal_type
  tags = {
    "azd-env-name" = var.environment_name
    "app"          = "omnichannel-handoff"
  }

  # The four deployables: HTTP port (each service's PORT default), whether Azure calls it from outside,
  # and how it scales (ADR 0081, numbers in infra/README "Scaling"). Every adapter scales on concurrent HTTP
  # requests; the WhatsApp and web chat adapters also on the backlog of their Service Bus subscriptions (their
  # webhooks answer at once and the agent turns run in the consumer, so in a burst the backlog grows while HTTP
  # concurrency stays low); the router on its subscriptions' backlog. `servicebus_message_count` is the backlog
  # per replica KEDA aims for.
  services = {
    "voice-adapter" = {
      port                        = 7071
      min_replicas                = 1
      max_replicas                = 10
      http_concurrency            = 50
      servicebus_scale_subscriber = null
      servicebus_message_count    = null
    }
    "whatsapp-adapter" = {
      port                        = 7072
      min_replicas                = 1
      max_replicas                = 10
      http_concurrency            = 100
      servicebus_scale_subscriber = "whatsapp-adapter"
      servicebus_message_count    = 100
    }
    "webchat-adapter" = {
      port                        = 7073
      min_replicas                = 1
      max_replicas                = 10
      http_concurrency            = 100
      servicebus_scale_subscriber = "webchat-adapter"
      servicebus_message_count    = 100
    }
    "channel-router" = {
      port                        = 7074
      min_replicas                = 1
      max_replicas                = 5
      http_concurrency            = null
      # One KEDA rule per generated subscription of this subscriber (servicebus_topology.tf.json).
      servicebus_scale_subscriber = "channel-router"
      servicebus_message_count    = 20
    }
  }
}

resource "azurerm_resource_group" "main" {
  # azd accepts letters of either case, digits, -, _, ., ( and ): all valid here except a trailing period.
  name     = "rg-${trimsuffix(var.environment_name, ".")}"
  location = var.location
  tags     = local.tags
}

# One user-assigned identity per service: each gets only the data-plane roles it uses (roles.tf).
resource "azurerm_user_assigned_identity" "service" {
  for_each            = local.services
  name                = "id-${each.key}-${local.token}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

# --- Monitoring -------------------------------------------------------------------------------

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${local.token}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}

resource "azurerm_application_insights" "main" {
  name                = "appi-${local.token}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  workspace_id        = azurerm_log_analytics_workspace.main.id
  application_type    = "Node.JS"
  tags                = local.tags
}

# --- Container registry (azd pushes the images; the apps pull with their identity) -------------

resource "azurerm_container_registry" "main" {
  name                = "cr${local.state_token}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  sku                 = "Basic"
  admin_enabled       = false
  tags                = local.tags
}

# --- Key Vault: the secrets no managed identity can replace ------------------------------------

resource "azurerm_key_vault" "main" {
  name                       = "kv-${local.state_token}"
  location                   = azurerm_resource_group.main.location
  resource_group_name        = azurerm_resource_group.main.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  soft_delete_retention_days = 7
  purge_protection_enabled   = true # a deleted vault cannot be purged; redeploys get a new name (state_token)
  tags                       = local.tags
}

# Generated once and kept in state and Key Vault; nothing secret is written in this repository.
resource "random_password" "handoff_token_key" {
  length  = 64
  special = false
}

resource "random_password" "eventgrid_webhook_secret" {
  length  = 40
  special = false
}

resource "random_password" "ops_api_key" {
  length  = 40
  special = false
}

# Key Vault secret name => value. Container apps reference them by versionless id with their identity.
locals {
  key_vault_secrets = {
    "handoff-token-key"                     = random_password.handoff_token_key.result
    "eventgrid-webhook-secret"              = random_password.eventgrid_webhook_secret.result
    "ops-api-key"                           = random_password.ops_api_key.result
    "directline-secret"                     = local.directline_secret
    "redis-url"                             = local.redis_url
    "applicationinsights-connection-string" = azurerm_application_insights.main.connection_string
  }
}

resource "azurerm_key_vault_secret" "main" {
  # The names are listed plainly: keys() of a map holding sensitive values cannot drive for_each.
  for_each     = toset(["handoff-token-key", "eventgrid-webhook-secret", "ops-api-key", "directline-secret", "redis-url", "applicationinsights-connection-string"])
  name         = each.key
  value        = local.key_vault_secrets[each.key]
  key_vault_id = azurerm_key_vault.main.id
  depends_on   = [time_sleep.key_vault_rbac] # not right after the Secrets Officer assignment (ForbiddenByRbac)
}
