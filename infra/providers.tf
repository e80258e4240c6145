terraform {
  required_version = ">= 1.9"
  required_providers {
    # 4.x: container app scale rules with a managed identity (custom_scale_rule.identity_id) need a recent 4.x.
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
    # For what azurerm does not cover: the Foundry project, and removing the catch-all $Default rule of
    # filtered Service Bus subscriptions.
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "azurerm" {
  features {
    key_vault {
      # `azd down --purge` purges; a plain destroy keeps the vault recoverable.
      purge_soft_delete_on_destroy = false
    }
    cognitive_account {
      purge_soft_delete_on_destroy = false
    }
    resource_group {
      prevent_deletion_if_contains_resources = false
    }
  }
  # Every data plane is reached with Entra ID, including the provider's own Key Vault and storage calls.
  storage_use_azuread = true
}

provider "azapi" {}
