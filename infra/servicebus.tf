# Service Bus: the topology is generated from packages/contracts into servicebus_topology.tf.json
# (local.servicebus_topology); nothing here names a topic or subscription by hand.

locals {
  sb = local.servicebus_topology
}

resource "azurerm_servicebus_namespace" "main" {
  name                = "sb-${local.token}"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  # Standard: topics, sessions and duplicate detection.
  sku = "Standard"
  # Managed identity only: no SAS keys, so no connection string exists to leak.
  local_auth_enabled  = false
  minimum_tls_version = "1.2"
  tags                = local.tags
}

resource "azurerm_servicebus_queue" "main" {
  for_each                                = local.sb.queues
  name                                    = each.key
  namespace_id                            = azurerm_servicebus_namespace.main.id
  lock_duration                           = each.value.lock_duration
  max_delivery_count                      = each.value.max_delivery_count
  default_message_ttl                     = each.value.default_message_ttl
  requires_session                        = each.value.requires_session
  dead_lettering_on_message_expiration    = each.value.dead_lettering_on_message_expiration
  requires_duplicate_detection            = each.value.requires_duplicate_detection
  duplicate_detection_history_time_window = each.value.duplicate_detection_history_time_window
}

resource "azurerm_servicebus_topic" "main" {
  for_each                                = local.sb.topics
  name                                    = each.key
  namespace_id                            = azurerm_servicebus_namespace.main.id
  default_message_ttl                     = each.value.default_message_ttl
  requires_duplicate_detection            = each.value.requires_duplicate_detection
  duplicate_detection_history_time_window = each.value.duplicate_detection_history_time_window
}

resource "azurerm_servicebus_subscription" "main" {
  for_each                             = local.sb.subscriptions
  name                                 = each.value.name
  topic_id                             = azurerm_servicebus_topic.main[each.value.topic].id
  lock_duration                        = each.value.lock_duration
  max_delivery_count                   = each.value.max_delivery_count
  default_message_ttl                  = each.value.default_message_ttl
  requires_session                     = each.value.requires_session
  dead_lettering_on_message_expiration = each.value.dead_lettering_on_message_expiration
}

resource "azurerm_servicebus_subscription_rule" "main" {
  for_each        = local.sb.rules
  name            = each.value.name
  subscription_id = azurerm_servicebus_subscription.main[each.value.subscription].id
  filter_type     = each.value.filter_type
  sql_filter      = each.value.sql_filter
  action          = each.value.action

  dynamic "correlation_filter" {
    for_each = each.value.correlation_filter == null ? [] : [each.value.correlation_filter]
    content {
      correlation_id = correlation_filter.value.correlation_id
      label          = correlation_filter.value.label
      properties     = correlation_filter.value.properties
    }
  }
}

# Azure gives every new subscription a catch-all `$Default` rule (1=1). A filtered subscription must lose it,
# or it would receive the whole topic; it is removed once the subscription's own rules exist.
resource "azapi_resource_action" "drop_default_rule" {
  for_each    = { for key, subscription in local.sb.subscriptions : key => subscription if subscription.has_rules }
  type        = "Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2022-10-01-preview"
  resource_id = "${azurerm_servicebus_subscription.main[each.key].id}/rules/$Default"
  method      = "DELETE"
  depends_on  = [azurerm_servicebus_subscription_rule.main]
}
