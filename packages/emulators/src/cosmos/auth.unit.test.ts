import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedResourceOf, verifyMasterKeySignature } from './auth.js';
import { COSMOS_EMULATOR_KEY } from './emulator.js';

describe('signedResourceOf', () => {
  it.each([
    ['/', '', ''],
    ['/dbs', 'dbs', ''],
    ['//dbs/omnichannel', 'dbs', 'dbs/omnichannel'],
    ['/dbs/omnichannel/colls', 'colls', 'dbs/omnichannel'],
    ['/dbs/omnichannel/colls/customers/docs', 'docs', 'dbs/omnichannel/colls/customers'],
    [
      '/dbs/omnichannel/colls/identities/docs/phone:+14255550123',
      'docs',
      'dbs/omnichannel/colls/identities/docs/phone:+14255550123',
    ],
    ['/dbs/omnichannel/colls/customers/pkranges', 'pkranges', 'dbs/omnichannel/colls/customers'],
    [
      '/dbs/omnichannel/colls/identities/docs/webchat:J%C3%BCrgen/',
      'docs',
      'dbs/omnichannel/colls/identities/docs/webchat:Jürgen',
    ],
  ])('%s is signed as type %j, link %j', (path, resourceType, resourceLink) => {
    expect(signedResourceOf(path)).toEqual({ resourceType, resourceLink });
  });
});

describe('verifyMasterKeySignature', () => {
  const date = 'Mon, 23 Nov 2026 10:00:00 GMT';
  const sign = (text: string, key = COSMOS_EMULATOR_KEY) =>
    encodeURIComponent(
      `type=master&ver=1.0&sig=${createHmac('sha256', Buffer.from(key, 'base64')).update(text).digest('base64')}`,
    );
  const text = `get\ndocs\ndbs/omnichannel/colls/customers/docs/cust_1\n${date.toLowerCase()}\n\n`;
  const path = '/dbs/omnichannel/colls/customers/docs/cust_1';

  it('accepts the signature the SDK computes', () => {
    const headers = { authorization: sign(text), 'x-ms-date': date };

    expect(verifyMasterKeySignature('GET', path, headers, COSMOS_EMULATOR_KEY)).toBeUndefined();
  });

  it('refuses another key, another verb, and missing headers', () => {
    const otherKey = Buffer.from('other').toString('base64');

    expect(
      verifyMasterKeySignature(
        'GET',
        path,
        { authorization: sign(text, otherKey), 'x-ms-date': date },
        COSMOS_EMULATOR_KEY,
      ),
    ).toMatch(/wrong key/);
    expect(
      verifyMasterKeySignature(
        'DELETE',
        path,
        { authorization: sign(text), 'x-ms-date': date },
        COSMOS_EMULATOR_KEY,
      ),
    ).toMatch(/wrong key/);
    expect(verifyMasterKeySignature('GET', path, { 'x-ms-date': date }, COSMOS_EMULATOR_KEY)).toMatch(
      /authorization is missing/,
    );
    expect(verifyMasterKeySignature('GET', path, { authorization: sign(text) }, COSMOS_EMULATOR_KEY)).toMatch(
      /x-ms-date is missing/,
    );
  });
});
