import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SCRIPTS as BUILT_SCRIPTS, buildPage, PAGE_BUDGET_BYTES } from '../scripts/build-page.js';
import { negotiateAsset, PAGE_SCRIPTS, PUBLIC_DIR } from './page.js';

beforeAll(async () => {
  if (PAGE_SCRIPTS.some((file) => !existsSync(join(PUBLIC_DIR, `${file}.gz`)))) await buildPage();
}, 120_000);

describe('the web chat page bundle', () => {
  it('given the build and the server, when compared, then they precompress and serve the same scripts', () => {
    expect([...PAGE_SCRIPTS]).toEqual([...BUILT_SCRIPTS]);
  });

  it.each([
    ['br', 'gzip, deflate, br'],
    ['gzip', 'gzip, deflate'],
  ])(
    'given a browser accepting %s, when it loads the page scripts, then they come compressed and weigh under 1 MB in all',
    async (encoding, accept) => {
      let total = 0;
      for (const file of PAGE_SCRIPTS) {
        const served = await negotiateAsset(file, accept);
        expect(served?.encoding).toBe(encoding);
        const content = served?.content ?? Buffer.alloc(0);
        const plain = encoding === 'br' ? brotliDecompressSync(content) : gunzipSync(content);
        expect(plain.equals(await readFile(join(PUBLIC_DIR, file)))).toBe(true);
        total += content.length;
      }
      expect(total).toBeLessThan(PAGE_BUDGET_BYTES);
    },
  );

  it('given a client without compression (or refusing it with q=0), when it loads a script, then it gets the plain file', async () => {
    expect((await negotiateAsset('page.js', undefined))?.encoding).toBeUndefined();
    expect((await negotiateAsset('page.js', 'br;q=0, gzip;q=0'))?.encoding).toBeUndefined();
  });
});
