import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './page.js';

describe('contentSecurityPolicy', () => {
  it('given no frame ancestors, when built, then nobody may frame the page', () => {
    expect(contentSecurityPolicy('http://127.0.0.1:7080/v3/directline')).toContain("frame-ancestors 'none'");
  });

  it('given the sandbox origin, when built, then only it may frame the page', () => {
    const csp = contentSecurityPolicy('http://127.0.0.1:7080/v3/directline', ['http://127.0.0.1:7070']);
    expect(csp).toContain('frame-ancestors http://127.0.0.1:7070');
    expect(csp).not.toContain("'none'; base-uri".replace('; base-uri', '') + ' http');
  });

  it('given Direct Line, when built, then its REST and WebSocket origins may be connected to', () => {
    expect(contentSecurityPolicy('https://directline.botframework.com/v3/directline')).toContain(
      "connect-src 'self' https://directline.botframework.com wss://directline.botframework.com",
    );
  });
});
