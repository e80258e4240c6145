import type { ConversationDriver } from '@omni/conversation';

/**
 * A {@link ConversationDriver} that times every call of the one it wraps (wall time of each call, ms), so a
 * benchmark can report the agent's own time apart from the platform's.
 */
export class TimedDriver {
  /** Each call's duration, ms, in the order the calls ended. */
  readonly calls: number[] = [];
  readonly driver: ConversationDriver;

  constructor(inner: ConversationDriver) {
    const calls = this.calls;
    this.driver = new Proxy(inner, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const started = performance.now();
          const result = value.apply(target, args);
          if (!(result instanceof Promise)) {
            calls.push(performance.now() - started);
            return result;
          }
          return result.finally(() => calls.push(performance.now() - started));
        };
      },
    });
  }

  /** The calls recorded from `from` (an index into {@link calls}) on: their total and the slowest, ms. */
  since(from: number): { total: number; slowest: number; count: number } {
    const slice = this.calls.slice(from);
    return {
      total: slice.reduce((sum, ms) => sum + ms, 0),
      slowest: slice.reduce((max, ms) => Math.max(max, ms), 0),
      count: slice.length,
    };
  }
}
