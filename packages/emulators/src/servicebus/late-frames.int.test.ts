import { createRequire } from 'node:module';
import rhea, { type Connection, type Session } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queuesConfig, startTestBus, type TestBus } from './test-support/fixture.js';

// rhea's frame builders (not in its typed API): the test writes a frame the client's own API would not.
const frames = createRequire(import.meta.url)('rhea/lib/frames.js') as {
  detach(fields: Record<string, unknown>): unknown;
};

let bus: TestBus;

beforeAll(async () => {
  bus = await startTestBus({ config: queuesConfig({ plain: {} }) });
});
afterAll(async () => {
  await bus?.close();
});

function once<T>(emitter: { once(event: string, listener: (context: T) => void): unknown }, event: string) {
  return new Promise<T>((resolve) => emitter.once(event, resolve));
}

describe('late frames on a closed session (the SDK crossing the broker, e.g. a session attach timing out)', () => {
  it('given a detach on a channel whose session already ended, when it arrives, then it is dropped and the connection stays up', async () => {
    const container = rhea.create_container({ id: 'late-frames-test' });
    const connection: Connection = container.connect({
      host: '127.0.0.1',
      port: bus.emulator.amqpPort,
      reconnect: false,
    });
    let disconnected = false;
    const gone = new Promise<'disconnected'>((resolve) =>
      connection.on('disconnected', () => {
        disconnected = true;
        resolve('disconnected');
      }),
    );
    await once(connection, 'connection_open');

    const session: Session = connection.create_session();
    session.begin();
    await once(session, 'session_open');
    const channel = (session as unknown as { local: { channel: number } }).local.channel;
    session.close();
    await once(session, 'session_close');

    // What @azure/service-bus does when its timeout and the broker's refusal cross: a detach after the end.
    (connection as unknown as { _write_frame(channel: number, frame: unknown): void })._write_frame(
      channel,
      frames.detach({ handle: 0, closed: true }),
    );
    // The connection still works: a new session opens on it (rhea's default closed the connection here).
    const next = connection.create_session();
    next.begin();
    expect(await Promise.race([once(next, 'session_open').then(() => 'open'), gone])).toBe('open');
    expect(disconnected).toBe(false);
    expect(connection.is_open()).toBe(true);
    connection.close();
    await once(connection, 'connection_close');
  });
});
