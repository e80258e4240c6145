/**
 * Builds the web chat page's assets into dist/public: npm's prebuilt BotFramework-WebChat bundle
 * (`botframework-webchat/dist/webchat.js`, with its licence file) and the page script (page/main.ts, bundled by
 * esbuild). Run by `pnpm build`; the tests call {@link buildPage} when the assets are missing.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where the assets go. */
export const PUBLIC_DIR = fileURLToPath(new URL('../dist/public/', import.meta.url));

/** Copies WebChat and bundles the page script (minified, with a source map). */
export async function buildPage(): Promise<void> {
  await mkdir(PUBLIC_DIR, { recursive: true });
  const require = createRequire(import.meta.url);
  // The prebuilt bundle sits in the package's dist folder.
  const entry = require.resolve('botframework-webchat');
  const marker = `${sep}botframework-webchat${sep}`;
  const webchatDist = join(entry.slice(0, entry.lastIndexOf(marker) + marker.length), 'dist');
  await copyFile(join(webchatDist, 'webchat.js'), join(PUBLIC_DIR, 'webchat.js'));
  await copyFile(join(webchatDist, 'webchat.js.LICENSE.txt'), join(PUBLIC_DIR, 'webchat.js.LICENSE.txt'));
  await build({
    entryPoints: [fileURLToPath(new URL('../page/main.ts', import.meta.url))],
    outfile: join(PUBLIC_DIR, 'page.js'),
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPage();
