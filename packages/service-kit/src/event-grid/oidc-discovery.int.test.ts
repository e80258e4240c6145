import { createServer, type Server } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialCheck, discoverOidcAuth } from './auth.js';

let server: Server;
let base: string;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid') {
      response.end(JSON.stringify({ issuer: 'https://issuer.example', jwks_uri: `${base}/keys` }));
    } else if (request.url === '/keys') {
      response.end(JSON.stringify({ keys: [jwk] }));
    } else {
      response.statusCode = 404;
      response.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

function requestWith(token: string): FastifyRequest {
  return {
    headers: { authorization: `Bearer ${token}` },
    query: {},
    log: { debug() {}, warn() {} },
  } as unknown as FastifyRequest;
}

async function token(audience: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('https://issuer.example')
    .setAudience(audience)
    .setExpirationTime('5m')
    .sign(privateKey);
}

describe('discoverOidcAuth', () => {
  it('given an OpenID configuration, then tokens of its issuer and the audience pass and others are refused', async () => {
    const auth = await discoverOidcAuth({
      openIdConfigurationUrl: `${base}/.well-known/openid`,
      audience: 'acs-resource',
    });
    expect(auth.issuer).toBe('https://issuer.example');
    const check = createCredentialCheck({ entra: auth });
    await expect(check(requestWith(await token('acs-resource')))).resolves.toBeUndefined();
    await expect(check(requestWith(await token('someone-else')))).rejects.toMatchObject({ status: 401 });
  });

  it('given a configuration that cannot be read, then discovery rejects', async () => {
    await expect(
      discoverOidcAuth({ openIdConfigurationUrl: `${base}/missing`, audience: 'a' }),
    ).rejects.toThrow(/404/);
  });
});
