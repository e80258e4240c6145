import type { IncomingMessage } from 'node:http';

/** The whole body of a request (what a test bot receives), as UTF-8 text. */
export function requestBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    request.on('end', () => resolve(raw));
  });
}
