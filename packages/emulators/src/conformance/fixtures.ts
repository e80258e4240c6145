import { readdirSync, readFileSync } from 'node:fs';

/** One of Microsoft's published REST examples (azure-rest-api-specs `examples/*.json`). */
export interface RestExample {
  readonly title?: string;
  readonly parameters: Record<string, unknown>;
  readonly responses: Record<string, { body?: unknown }>;
}

const root = new URL('./fixtures/', import.meta.url);

/** A fixture by its path under `fixtures/` (see fixtures/SOURCES.md for where each comes from). */
export function fixture<T = RestExample>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, root), 'utf8')) as T;
}

/** Every fixture file of a folder under `fixtures/`, by file name. */
export function fixturesIn(folder: string): string[] {
  return readdirSync(new URL(`${folder}/`, root))
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** The one documented status of an example, and its body. */
export function expectedResponse(example: RestExample): { status: number; body: unknown } {
  const [status, response] = Object.entries(example.responses)[0] ?? [];
  return { status: Number(status), body: response?.body };
}

/** The keys of a JSON object (empty for anything else). */
export function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.keys(value).sort()
    : [];
}
