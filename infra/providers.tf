terraform {
  required_version = ">= 1.9"
  required_providers {
    # 4.78+: `local_authentication_enabled` on Cosmos DB (the `_disabled` form is deprecated), and container app
    # scale rules with a managed identity (custom_scale_rule.identity_id).
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.78"
    }
    # For what azurerm does not cover: Communication Services, the Foundry project, the Direct Line keys, and
    # removing the catch-all $Default rule of filtered Service Bus subscriptions.
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    # time_sleep: Azure RBAC assignments take up to minutes to reach the data planes that check them (roles.tf).
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }
}

provider "azurerm" {
  # azurerm 4.x registers only its "legacy" set by default, which lacks Microsoft.App and Microsoft.Communication:
  # on a fresh subscription the Container Apps environment then fails with "The Resource Provider was not
  # registered". Register exactly the namespaces this deployment uses (tests/first-deploy.unit.test.ts derives
  # them from the resource types and fails when one is missing).
  resource_provider_registrations = "none"
  resource_providers_to_register  = [
    "Microsoft.App",
    "Microsoft.BotService",
    "Microsoft.Cache",
    "Microsoft.CognitiveServices",
    "Microsoft.Communication",
    "Microsoft.ContainerRegistry",
    "Microsoft.DocumentDB",
    "Microsoft.EventGrid",
    "Microsoft.Insights",
    "Microsoft.KeyVault",
    "Microsoft.ManagedIdentity",
    "Microsoft.OperationalInsights",
    "Microsoft.ServiceBus",
  ]

  features {
    key_vault {
      # Purge protection is on (main.tf): a deleted vault stays soft-deleted for its retention period and cannot be
      # purged. The vault's name changes with every new state (local.state_token), so it never blocks a redeploy.
      purge_soft_delete_on_destroy = false
    }
    cognitive_account {
      # azd's Terraform provider ignores `azd down --purge`: purge here, or the soft-deleted AI Services account
      # keeps its name and model quota (FlagMustBeSetForRestore on the next `azd up`).
      purge_soft_delete_on_destroy = true
    }
    resource_group {
      prevent_deletion_if_contains_resources = false
    }
  }
  # Every data plane is reached with Entra ID, including the provider's own Key Vault and storage calls.
  storage_use_azuread = true
}

provider "azapi" {}
