import { describe, expect, it } from 'vitest';
import { showInTerminal } from './terminal-log.js';

const line = (msg: string, level = 30, fields: Record<string, unknown> = {}) => ({
  service: 'channel-router',
  level,
  msg,
  fields,
});

describe('showInTerminal', () => {
  it('given the UI polling (successful requests), then nothing is printed', () => {
    expect(showInTerminal(line('incoming request'), false)).toBe(false);
    expect(showInTerminal(line('request completed', 30, { res: { statusCode: 200 } }), false)).toBe(false);
  });
  it('given a failed request, then it is printed', () => {
    expect(showInTerminal(line('request completed', 30, { res: { statusCode: 503 } }), false)).toBe(true);
  });
  it('given a start and a stop, then one line each per service', () => {
    const start = ['Server listening at http://127.0.0.1:7074', 'channel-router listening'];
    const stop = ['shutting down: draining in-flight work', 'shut down cleanly'];
    expect(start.filter((msg) => showInTerminal(line(msg), false))).toEqual(['channel-router listening']);
    expect(stop.filter((msg) => showInTerminal(line(msg), false))).toEqual(['shut down cleanly']);
  });
  it('given a healthy retry loop, then it is not printed; a real warning is', () => {
    expect(showInTerminal(line('could not accept a session; retrying', 40), false)).toBe(false);
    expect(showInTerminal(line('handler failed; will retry', 40), false)).toBe(true);
  });
  it('given LOG_LEVEL=debug, then everything is printed', () => {
    expect(showInTerminal(line('incoming request', 20), true)).toBe(true);
  });
});
