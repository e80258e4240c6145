/**
 * A minimal `XMLHttpRequest` on top of `fetch`, for running the unmodified `botframework-directlinejs` (whose
 * REST calls go through RxJS 5's `ajax`, i.e. XMLHttpRequest) in Node tests and simulators. Browsers have the
 * real one; this covers what RxJS uses: open, setRequestHeader, send, abort, status, response(Text),
 * responseType `json`, getResponseHeader, timeout, readyState and onreadystatechange / ontimeout.
 */
export class FetchXMLHttpRequest {
  static readonly UNSENT = 0;
  static readonly OPENED = 1;
  static readonly DONE = 4;

  readyState = 0;
  status = 0;
  statusText = '';
  response: unknown = null;
  responseText = '';
  responseType = '';
  timeout = 0;
  withCredentials = false;
  onreadystatechange: ((this: FetchXMLHttpRequest, event: unknown) => void) | null = null;
  ontimeout: ((this: FetchXMLHttpRequest, event: unknown) => void) | null = null;
  onerror: ((this: FetchXMLHttpRequest, event: unknown) => void) | null = null;

  #method = 'GET';
  #url = '';
  #headers: Record<string, string> = {};
  #responseHeaders: Headers | undefined;
  #controller: AbortController | undefined;

  open(method: string, url: string): void {
    this.#method = method;
    this.#url = url;
    this.readyState = 1;
  }

  setRequestHeader(name: string, value: string): void {
    this.#headers[name] = value;
  }

  getResponseHeader(name: string): string | null {
    return this.#responseHeaders?.get(name) ?? null;
  }

  getAllResponseHeaders(): string {
    return [...(this.#responseHeaders?.entries() ?? [])].map(([k, v]) => `${k}: ${v}`).join('\r\n');
  }

  abort(): void {
    this.#controller?.abort();
  }

  send(body?: string | null): void {
    const controller = new AbortController();
    this.#controller = controller;
    let timedOut = false;
    const timer =
      this.timeout > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, this.timeout)
        : undefined;
    void fetch(this.#url, {
      method: this.#method,
      headers: this.#headers,
      ...(body !== undefined && body !== null ? { body } : {}),
      signal: controller.signal,
    })
      .then(async (response) => {
        const text = await response.text();
        this.#responseHeaders = response.headers;
        this.status = response.status;
        this.statusText = response.statusText;
        this.responseText = text;
        if (this.responseType === 'json') {
          try {
            this.response = text === '' ? null : JSON.parse(text);
          } catch {
            this.response = null;
          }
        } else {
          this.response = text;
        }
      })
      .catch(() => {
        this.status = 0;
      })
      .finally(() => {
        if (timer !== undefined) clearTimeout(timer);
        if (controller.signal.aborted && !timedOut) return;
        this.readyState = 4;
        if (timedOut) {
          this.ontimeout?.call(this, { type: 'timeout' });
          return;
        }
        if (this.status === 0) this.onerror?.call(this, { type: 'error' });
        this.onreadystatechange?.call(this, { type: 'readystatechange' });
      });
  }
}

/** Installs {@link FetchXMLHttpRequest} as the global `XMLHttpRequest` unless one exists; returns an undo. */
export function installXMLHttpRequest(): () => void {
  const target = globalThis as { XMLHttpRequest?: unknown };
  if (target.XMLHttpRequest !== undefined) return () => {};
  target.XMLHttpRequest = FetchXMLHttpRequest;
  return () => {
    delete target.XMLHttpRequest;
  };
}
