/** One Cosmos DB partial document update operation (`op`, JSON-pointer-like `path`, `value` / `from`). */
export interface PatchOperation {
  op?: unknown;
  path?: unknown;
  value?: unknown;
  from?: unknown;
}

/** A patch Cosmos DB refuses with 400 Bad Request. */
export class PatchError extends Error {}

const SYSTEM_PROPERTIES = new Set(['/_rid', '/_self', '/_etag', '/_ts', '/_lsn', '/_attachments']);

/**
 * Applies Cosmos DB patch operations (`add`, `set`, `replace`, `remove`, `incr`, `move`) to a copy of `document`
 * and returns it; the original is left untouched, so a failing operation changes nothing. Paths in
 * `protectedPaths` (the id and the partition key) and system properties cannot be patched.
 */
export function applyPatch(
  document: Record<string, unknown>,
  operations: readonly PatchOperation[],
  protectedPaths: readonly string[],
): Record<string, unknown> {
  const result = structuredClone(document);
  for (const operation of operations) {
    const path = pathOf(operation.path, 'path');
    if (protectedPaths.includes(path) || SYSTEM_PROPERTIES.has(path)) {
      throw new PatchError(`Patch cannot update the id, the partition key or system properties (${path}).`);
    }
    switch (operation.op) {
      case 'add':
        insert(result, path, operation.value, 'add');
        break;
      case 'set':
        insert(result, path, operation.value, 'set');
        break;
      case 'replace':
        if (read(result, path) === undefined)
          throw new PatchError(`Cannot replace ${path}: it does not exist.`);
        insert(result, path, operation.value, 'set');
        break;
      case 'remove':
        remove(result, path);
        break;
      case 'incr': {
        if (typeof operation.value !== 'number') throw new PatchError('incr needs a number value.');
        const current = read(result, path);
        if (current !== undefined && typeof current !== 'number') {
          throw new PatchError(`Cannot increment ${path}: it is not a number.`);
        }
        insert(result, path, (current ?? 0) + operation.value, 'set');
        break;
      }
      case 'move': {
        const from = pathOf(operation.from, 'from');
        const value = read(result, from);
        if (value === undefined) throw new PatchError(`Cannot move ${from}: it does not exist.`);
        remove(result, from);
        insert(result, path, value, 'set');
        break;
      }
      default:
        throw new PatchError(`Unknown patch operation '${String(operation.op)}'.`);
    }
  }
  return result;
}

function pathOf(path: unknown, field: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path === '/') {
    throw new PatchError(`The patch ${field} must be a path like /property (got ${JSON.stringify(path)}).`);
  }
  return path;
}

function segmentsOf(path: string): string[] {
  return path
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function read(document: unknown, path: string): unknown {
  let current = document;
  for (const segment of segmentsOf(path)) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (typeof current === 'object' && current !== null)
      current = (current as Record<string, unknown>)[segment];
    else return undefined;
  }
  return current;
}

/** The parent container of a path's last segment; it must exist (patch does not create paths recursively). */
function parentOf(document: Record<string, unknown>, path: string): [unknown, string] {
  const segments = segmentsOf(path);
  const last = segments.pop() as string;
  const parent = segments.length === 0 ? document : read(document, `/${segments.join('/')}`);
  if (typeof parent !== 'object' || parent === null) {
    throw new PatchError(`The parent of ${path} does not exist (patch does not create paths recursively).`);
  }
  return [parent, last];
}

function insert(document: Record<string, unknown>, path: string, value: unknown, mode: 'add' | 'set'): void {
  const [parent, key] = parentOf(document, path);
  if (Array.isArray(parent)) {
    if (key === '-') {
      parent.push(value);
      return;
    }
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw new PatchError(`Index ${key} of ${path} is out of the array's bounds.`);
    }
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
    return;
  }
  (parent as Record<string, unknown>)[key] = value;
}

function remove(document: Record<string, unknown>, path: string): void {
  const [parent, key] = parentOf(document, path);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw new PatchError(`Index ${key} of ${path} is out of the array's bounds.`);
    }
    parent.splice(index, 1);
    return;
  }
  const record = parent as Record<string, unknown>;
  if (!(key in record)) throw new PatchError(`Cannot remove ${path}: it does not exist.`);
  delete record[key];
}
