# Redis: the optional hot cache (REDIS_URL). Azure Cache for Redis Basic C0 is the cheapest option that
# fits; ioredis cannot refresh Entra tokens on its own yet, so the services use the access key, kept in
# Key Vault as the `redis-url` secret (never an output, never in the repository).

resource "azurerm_redis_cache" "main" {
  name                 = "redis-${local.token}"
  location             = azurerm_resource_group.main.location
  resource_group_name  = azurerm_resource_group.main.name
  capacity             = 0
  family               = "C"
  sku_name             = "Basic"
  non_ssl_port_enabled = false
  minimum_tls_version  = "1.2"
  redis_configuration {}
  tags = local.tags
}

locals {
  redis_url = "rediss://:${urlencode(azurerm_redis_cache.main.primary_access_key)}@${azurerm_redis_cache.main.hostname}:${azurerm_redis_cache.main.ssl_port}"
}
