# Redis: the optional hot cache (REDIS_URL), on Azure Managed Redis (Balanced_B0, the smallest size; Azure Cache
# for Redis is being retired). EnterpriseCluster policy: one endpoint, so ioredis needs no cluster mode.
# ioredis cannot refresh Entra tokens on its own yet, so the services use the access key, kept in Key Vault as
# the `redis-url` secret (never an output, never in the repository).

resource "azurerm_managed_redis" "main" {
  name                      = "redis-${local.token}"
  location                  = azurerm_resource_group.main.location
  resource_group_name       = azurerm_resource_group.main.name
  sku_name                  = "Balanced_B0"
  high_availability_enabled = false

  default_database {
    access_keys_authentication_enabled = true
    client_protocol                    = "Encrypted"
    clustering_policy                  = "EnterpriseCluster"
    eviction_policy                    = "VolatileLRU"
  }

  tags = local.tags
}

locals {
  redis_url = "rediss://:${urlencode(azurerm_managed_redis.main.default_database[0].primary_access_key)}@${azurerm_managed_redis.main.hostname}:${azurerm_managed_redis.main.default_database[0].port}"
}
