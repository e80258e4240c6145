import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  DEFAULT_CONFIG_HINT,
  envBoolean,
  loadConfig,
  port,
  serviceBaseConfig,
} from './config.js';

const schema = z.object({
  ...serviceBaseConfig,
  PORT: port(7070),
  COSMOS_ENDPOINT: z.url(),
  SERVICEBUS_CONNECTION_STRING: z.string().min(1),
  HANDOFF_TOKEN_KEY: z.string().min(32, 'must be at least 32 characters'),
  FEATURE_X: envBoolean(false),
});

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('given several missing variables, when loading, then one error lists every one of them with a hint', () => {
    const error = configError(() => loadConfig(schema, { service: 'router', env: {}, envFile: false }));
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'COSMOS_ENDPOINT',
      'HANDOFF_TOKEN_KEY',
      'SERVICEBUS_CONNECTION_STRING',
    ]);
    expect(error.message).toContain('router cannot start: 3 configuration problems');
    expect(error.message).toContain(`COSMOS_ENDPOINT is not set: ${DEFAULT_CONFIG_HINT}`);
    expect(error.message).toContain('SERVICEBUS_CONNECTION_STRING is not set');
  });

  it('given a variable-specific hint, when it is missing, then the hint is shown instead of the default', () => {
    const error = configError(() =>
      loadConfig(schema, {
        service: 'router',
        env: { COSMOS_ENDPOINT: 'http://localhost:8081', SERVICEBUS_CONNECTION_STRING: 'x' },
        envFile: false,
        hints: { HANDOFF_TOKEN_KEY: 'generate one with `openssl rand -base64 48`' },
      }),
    );
    expect(error.message).toContain(
      'HANDOFF_TOKEN_KEY is not set: generate one with `openssl rand -base64 48`',
    );
  });

  it('given invalid values, when loading, then they are reported as invalid without echoing the value', () => {
    const secret = 'short-secret-value';
    const error = configError(() =>
      loadConfig(schema, {
        service: 'router',
        env: {
          COSMOS_ENDPOINT: 'not a url',
          SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://x',
          HANDOFF_TOKEN_KEY: secret,
          PORT: 'eighty',
          FEATURE_X: 'maybe',
        },
        envFile: false,
      }),
    );
    const invalid = error.problems.filter((p) => p.problem === 'invalid').map((p) => p.variable);
    expect(invalid.sort()).toEqual(['COSMOS_ENDPOINT', 'FEATURE_X', 'HANDOFF_TOKEN_KEY', 'PORT']);
    expect(error.message).toContain('HANDOFF_TOKEN_KEY is invalid (must be at least 32 characters)');
    expect(error.message).not.toContain(secret);
  });

  it('given a complete environment, when loading, then values are typed and defaults applied', () => {
    const config = loadConfig(schema, {
      service: 'router',
      env: {
        COSMOS_ENDPOINT: 'http://localhost:8081',
        SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://localhost',
        HANDOFF_TOKEN_KEY: 'k'.repeat(32),
        PORT: '7075',
        FEATURE_X: 'TRUE',
      },
      envFile: false,
    });
    expect(config.PORT).toBe(7075);
    expect(config.FEATURE_X).toBe(true);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.BODY_LIMIT_BYTES).toBe(1024 * 1024);
  });

  it('given a .env file and the environment, when loading, then the file fills gaps and the environment wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'omni-config-'));
    const file = join(dir, '.env');
    writeFileSync(
      file,
      'COSMOS_ENDPOINT=http://from-file:8081\nSERVICEBUS_CONNECTION_STRING="Endpoint=sb://file"\nPORT=1111\n',
    );
    const config = loadConfig(schema, {
      service: 'router',
      env: { PORT: '2222', HANDOFF_TOKEN_KEY: 'k'.repeat(40) },
      envFile: file,
    });
    expect(config.COSMOS_ENDPOINT).toBe('http://from-file:8081');
    expect(config.SERVICEBUS_CONNECTION_STRING).toBe('Endpoint=sb://file');
    expect(config.PORT).toBe(2222);
  });

  it('given an empty value, when loading, then it counts as not set', () => {
    const error = configError(() =>
      loadConfig(schema, {
        service: 'router',
        env: { COSMOS_ENDPOINT: '', SERVICEBUS_CONNECTION_STRING: 'x', HANDOFF_TOKEN_KEY: 'k'.repeat(32) },
        envFile: false,
      }),
    );
    expect(error.problems).toEqual([
      expect.objectContaining({ variable: 'COSMOS_ENDPOINT', problem: 'missing' }),
    ]);
  });
});
