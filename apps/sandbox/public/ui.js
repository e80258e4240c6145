/** Small DOM helpers shared by the sandbox panels. */

/** Creates an element with attributes and children (strings become text nodes, never HTML). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** JSON from the sandbox API; throws with the problem detail on an error status. */
export async function api(path, init) {
  const response = await fetch(path, init);
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new Error(body?.detail ?? `HTTP ${response.status}`);
  return body;
}

/** POSTs JSON to the sandbox API. */
export function post(path, body) {
  return api(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

/** Runs `task` now and every `ms` while the page is open; errors are shown by `onError`, polling goes on. */
export function every(ms, task, onError = () => {}) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      await task();
    } catch (error) {
      onError(error);
    }
    if (!stopped) setTimeout(tick, ms);
  };
  tick();
  return () => {
    stopped = true;
  };
}

/** `14:03` for an ISO time. */
export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
