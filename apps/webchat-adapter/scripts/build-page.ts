/**
 * Builds the web chat page's assets into dist/public: npm's prebuilt BotFramework-WebChat bundle
 * (`botframework-webchat/dist/webchat.js`, with its licence file) and the page script (page/main.ts, bundled by
 * esbuild). Run by `pnpm build`; the tests call {@link buildPage} when the assets are missing.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Where the assets go. */
export const PUBLIC_DIR = fileURLToPath(new URL('../dist/public/', import.meta.url));

/** The most the page's scripts may weigh on the wire (gzip, the weaker of the two encodings served): 1 MB. */
export const PAGE_BUDGET_BYTES = 1_000_000;

/** The scripts the page loads (src/page.ts serves them; its PAGE_SCRIPTS must be the same list). */
export const PAGE_SCRIPTS = ['webchat.js', 'page.js'] as const;

/** The size of one script: as built, and as served with each encoding. */
export interface ScriptSize {
  readonly file: string;
  readonly raw: number;
  readonly br: number;
  readonly gzip: number;
}

/**
 * Writes `<file>.br` (quality 11) and `<file>.gz` (level 9) next to each page script, so the adapter serves them
 * compressed without compressing per request; returns the sizes.
 */
export async function precompress(): Promise<ScriptSize[]> {
  const sizes: ScriptSize[] = [];
  for (const file of PAGE_SCRIPTS) {
    const raw = await readFile(join(PUBLIC_DIR, file));
    const br = brotliCompressSync(raw, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    });
    const gzip = gzipSync(raw, { level: 9 });
    await writeFile(join(PUBLIC_DIR, `${file}.br`), br);
    await writeFile(join(PUBLIC_DIR, `${file}.gz`), gzip);
    sizes.push({ file, raw: raw.length, br: br.length, gzip: gzip.length });
  }
  return sizes;
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

/** The build's size report: each script raw / brotli / gzip, and the total against the budget. */
export function sizeReport(sizes: readonly ScriptSize[]): string {
  const lines = sizes.map(
    (s) =>
      `  ${s.file.padEnd(12)} ${kb(s.raw).padStart(10)} raw ${kb(s.br).padStart(10)} br ${kb(s.gzip).padStart(10)} gzip`,
  );
  const br = sizes.reduce((sum, s) => sum + s.br, 0);
  const gzip = sizes.reduce((sum, s) => sum + s.gzip, 0);
  return [
    'web chat page scripts (as served):',
    ...lines,
    `  total: ${kb(br)} br, ${kb(gzip)} gzip (budget ${kb(PAGE_BUDGET_BYTES)} compressed)`,
  ].join('\n');
}

/** Copies WebChat, bundles the page script (minified, with a source map) and precompresses both. */
export async function buildPage(): Promise<ScriptSize[]> {
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
  return precompress();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildPage();
  console.log(sizeReport(sizes));
  const gzip = sizes.reduce((sum, s) => sum + s.gzip, 0);
  if (gzip > PAGE_BUDGET_BYTES) {
    console.error(`the web chat page is over its budget: ${gzip} bytes gzip > ${PAGE_BUDGET_BYTES}`);
    process.exitCode = 1;
  }
}
