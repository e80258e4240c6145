/** Subscription offers (quota id prefixes) on which ACR refuses Tasks runs. */
export declare const ACR_TASKS_REFUSED: readonly string[];
/** The services azure.yaml builds with `remoteBuild: true`. */
export declare function remoteBuildServices(azureYaml: string): string[];
/** Whether provisioning may go on, or why not and what to do. */
export declare function acrTasksVerdict(input: {
  readonly quotaId: string | undefined;
  readonly remoteBuildServices: readonly string[];
  readonly skip?: boolean;
}): { ok: boolean; message?: string };
