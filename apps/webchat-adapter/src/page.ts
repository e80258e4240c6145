import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The built page assets (see scripts/build-page.ts); the same path from `src` and from `dist`. */
export const PUBLIC_DIR = fileURLToPath(new URL('../dist/public/', import.meta.url));

/** The scripts the page loads; the build (scripts/build-page.ts) precompresses them and holds them to a budget. */
export const PAGE_SCRIPTS = ['webchat.js', 'page.js'] as const;

/** The encodings the build writes next to each script (`.br`, `.gz`), in order of preference. */
export const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/** The assets the page loads, by URL path. */
export const PAGE_ASSETS: Readonly<Record<string, { file: string; type: string; precompressed?: true }>> = {
  '/webchat.js': { file: 'webchat.js', type: 'text/javascript; charset=utf-8', precompressed: true },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8', precompressed: true },
  '/page.js.map': { file: 'page.js.map', type: 'application/json; charset=utf-8' },
  '/webchat.js.LICENSE.txt': { file: 'webchat.js.LICENSE.txt', type: 'text/plain; charset=utf-8' },
};

/**
 * The best precompressed form of an asset the client accepts (`Accept-Encoding`), or the plain file: what is
 * served, with its `Content-Encoding`. Undefined when the page was not built.
 */
export async function negotiateAsset(
  file: string,
  acceptEncoding: string | undefined,
  precompressed = true,
): Promise<{ content: Buffer; encoding: string | undefined } | undefined> {
  if (precompressed) {
    const accepted = (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => q === undefined || !/^\s*q\s*=\s*0(\.0*)?\s*$/.test(q))
      .map(([name]) => (name ?? '').trim().toLowerCase());
    for (const encoding of ENCODINGS) {
      if (!accepted.includes(encoding.name)) continue;
      const content = await readAsset(`${file}${encoding.suffix}`);
      if (content !== undefined) return { content, encoding: encoding.name };
    }
  }
  const content = await readAsset(file);
  return content === undefined ? undefined : { content, encoding: undefined };
}

/** Reads a built asset; undefined when the page was not built. */
export async function readAsset(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(new URL(file, `file://${PUBLIC_DIR}`));
  } catch {
    return undefined;
  }
}

/**
 * The Content-Security-Policy of the page: scripts and styles from this origin (WebChat injects its styles
 * at run time, hence `'unsafe-inline'` for styles only), connections to this origin and to Direct Line
 * (REST and its WebSocket stream). No framing unless `frameAncestors` names origins that may.
 */
export function contentSecurityPolicy(
  directLineDomain: string,
  frameAncestors: readonly string[] = [],
): string {
  const origin = new URL(directLineDomain).origin;
  const socketOrigin = origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${origin} ${socketOrigin}`,
    // Nobody may frame the page, except the origins configured (the local sandbox shows it in a frame).
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The web chat page: a labelled landmark for the chat, a polite status line and an alert for problems
 * (e.g. a used or expired handoff link), responsive down to small phones, text contrast at least 4.5:1.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Customer support chat</title>
<style>
  *, *::before, *::after { box-sizing: border-box; }
  html, body { height: 100%; margin: 0; }
  body { display: flex; flex-direction: column; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
    color: #1b1b1b; background: #ffffff; }
  header { background: #0b5cad; color: #ffffff; padding: 0.75rem 1rem; }
  header h1 { font-size: 1.25rem; margin: 0; }
  main { flex: 1; display: flex; flex-direction: column; min-height: 0; width: 100%; max-width: 48rem; margin: 0 auto; }
  #status { margin: 0; padding: 0.25rem 1rem; font-size: 0.875rem; color: #3b3b3b; min-height: 1.75rem; }
  #problem { margin: 0.5rem 1rem; padding: 0.75rem 1rem; border: 2px solid #a4262c; border-radius: 0.5rem;
    background: #fde7e9; color: #1b1b1b; }
  #problem p { margin: 0 0 0.5rem; }
  #problem button { font: inherit; padding: 0.5rem 1rem; border-radius: 0.375rem; border: 0; background: #0b5cad;
    color: #ffffff; cursor: pointer; min-height: 44px; }
  #problem button:focus-visible { outline: 3px solid #1b1b1b; outline-offset: 2px; }
  #webchat { flex: 1; min-height: 0; border-top: 1px solid #d0d0d0; }
  @media (min-width: 48rem) { #webchat { border: 1px solid #d0d0d0; border-radius: 0.5rem; margin: 0 1rem 1rem; } }
</style>
</head>
<body>
<header><h1>Customer support</h1></header>
<main>
  <p id="status" role="status" aria-live="polite">Connecting to the chat…</p>
  <div id="problem" role="alert" hidden></div>
  <section id="webchat" aria-label="Chat with our virtual assistant"></section>
</main>
<script src="/webchat.js"></script>
<script src="/page.js"></script>
</body>
</html>
`;
