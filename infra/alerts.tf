# Alerts. Dead letters are customer messages that no retry could handle: any of them for 5 minutes pages someone
# (ADR 0058). The ops console lists them (reason, age, event type) and the router purges them after the retention.

variable "alert_email" {
  description = "Where alerts are e-mailed; empty: the alert fires in Azure Monitor only."
  type        = string
  default     = ""
}

resource "azurerm_monitor_action_group" "ops" {
  name                = "ag-ops-${local.token}"
  resource_group_name = azurerm_resource_group.main.name
  short_name          = "omni-ops"
  tags                = local.tags

  dynamic "email_receiver" {
    for_each = var.alert_email == "" ? [] : [var.alert_email]
    content {
      name                    = "ops"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }
}

resource "azurerm_monitor_metric_alert" "dead_letters" {
  name                = "alert-dead-letters-${local.token}"
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [azurerm_servicebus_namespace.main.id]
  description         = "Messages are dead-lettered in a Service Bus queue or subscription: see the ops console's dead letters."
  severity            = 2
  # Above 0 for 5 minutes, checked every minute.
  frequency   = "PT1M"
  window_size = "PT5M"
  tags        = local.tags

  criteria {
    metric_namespace = "Microsoft.ServiceBus/namespaces"
    metric_name      = "DeadletteredMessages"
    aggregation      = "Minimum"
    operator         = "GreaterThan"
    threshold        = 0

    # One alert per queue / subscription, so the alert names the entity.
    dimension {
      name     = "EntityName"
      operator = "Include"
      values   = ["*"]
    }
  }

  action {
    action_group_id = azurerm_monitor_action_group.ops.id
  }
}
