/** The current time in epoch milliseconds. Injected so expiry and lease tests need no sleeps. */
export type Clock = () => number;

/** The system clock. */
export const systemClock: Clock = () => Date.now();
