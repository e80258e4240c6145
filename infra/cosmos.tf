# Cosmos DB (serverless): database and containers with their partition keys from cosmos_containers.json,
# the same file the docker-compose init step reads.

locals {
  cosmos_containers = { for name, container in jsondecode(file("${path.module}/cosmos_containers.json")) : name => container if name != "//" }
  cosmos_database   = "omnichannel"
}

resource "azurerm_cosmosdb_account" "main" {
  name                = "cosmos-${local.token}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  offer_type          = "Standard"
  kind                = "GlobalDocumentDB"
  # Entra ID only: the services use their managed identity (no COSMOS_KEY in Azure).
  local_authentication_enabled = false

  capabilities {
    name = "EnableServerless"
  }

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = azurerm_resource_group.main.location
    failover_priority = 0
  }

  tags = local.tags
}

resource "azurerm_cosmosdb_sql_database" "main" {
  name                = local.cosmos_database
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
}

resource "azurerm_cosmosdb_sql_container" "main" {
  for_each              = local.cosmos_containers
  name                  = each.key
  resource_group_name   = azurerm_resource_group.main.name
  account_name          = azurerm_cosmosdb_account.main.name
  database_name         = azurerm_cosmosdb_sql_database.main.name
  partition_key_paths   = [each.value.partition_key]
  partition_key_version = 2
  # Retention per container (seconds since a document's last write; null: none), from cosmos_containers.json unless
  # var.cosmos_retention_seconds overrides it. Documents with their own `ttl` (idempotency, calls) keep theirs.
  default_ttl = lookup(var.cosmos_retention_seconds, each.key, each.value.default_ttl)
}
