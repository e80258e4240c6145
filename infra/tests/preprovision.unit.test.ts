// Item 6 of issue #19: subscriptions that refuse ACR Tasks are caught before provisioning, not after.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acrTasksVerdict, remoteBuildServices } from '../hooks/preprovision.mjs';
import { loadYaml, readRepoFile, repoRoot } from './support.ts';

describe('preprovision: ACR Tasks check', () => {
  it('given azure.yaml, when read, then preprovision runs the Node check on every OS', () => {
    const hooks = (loadYaml('azure.yaml') as { hooks: Record<string, Record<string, unknown>> }).hooks;
    const script = 'infra/hooks/preprovision.mjs';
    expect(hooks.preprovision?.posix).toEqual({ shell: 'sh', run: `node ${script}` });
    expect(hooks.preprovision?.windows).toEqual({ shell: 'pwsh', run: `node ${script}` });
    expect(existsSync(join(repoRoot, script))).toBe(true);
  });

  it('given azure.yaml, when its remote builds are listed, then the four services are found', () => {
    expect(remoteBuildServices(readRepoFile('azure.yaml')).sort()).toEqual(
      ['channel-router', 'voice-adapter', 'webchat-adapter', 'whatsapp-adapter'].sort(),
    );
    expect(remoteBuildServices('services:\n  a:\n    docker:\n      remoteBuild: false\n')).toEqual([]);
  });

  it('given a free-credit subscription and remote builds, when checked, then provisioning stops with the local build path', () => {
    for (const quotaId of ['FreeTrial_2014-09-01', 'AzureForStudents_2018-01-01', 'AzurePass_2014-09-01']) {
      const verdict = acrTasksVerdict({ quotaId, remoteBuildServices: ['voice-adapter'] });
      expect(verdict.ok, quotaId).toBe(false);
      expect(verdict.message).toContain('remoteBuild: false');
      expect(verdict.message).toContain('Docker');
    }
  });

  it('given a pay-as-you-go subscription, or no remote build, or the check skipped, when checked, then provisioning goes on', () => {
    expect(acrTasksVerdict({ quotaId: 'PayAsYouGo_2014-09-01', remoteBuildServices: ['a'] }).ok).toBe(true);
    expect(acrTasksVerdict({ quotaId: 'FreeTrial_2014-09-01', remoteBuildServices: [] }).ok).toBe(true);
    expect(
      acrTasksVerdict({ quotaId: 'FreeTrial_2014-09-01', remoteBuildServices: ['a'], skip: true }).ok,
    ).toBe(true);
  });

  it('given an unknown quota id, when checked, then it goes on (the README troubleshooting covers a late failure)', () => {
    expect(acrTasksVerdict({ quotaId: undefined, remoteBuildServices: ['a'] }).ok).toBe(true);
  });
});
