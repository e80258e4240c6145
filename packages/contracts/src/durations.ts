/**
 * ISO 8601 durations as Service Bus uses them (`PT1M`, `PT10M`, `P14D`). Only days, hours, minutes and
 * whole seconds are supported: years and months have no fixed length, and Service Bus settings never
 * need fractions of a second.
 */
export type IsoDuration = string;

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Milliseconds in an ISO 8601 duration such as `PT1M` or `P1DT12H`, or `undefined` when the text is not a
 * supported duration (empty `P`, a `T` with nothing after it, years, months, weeks or fractions).
 */
export function parseIsoDuration(duration: string): number | undefined {
  const match = DURATION.exec(duration);
  if (match === null || duration === 'P' || duration.endsWith('T')) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return (
    Number(days ?? 0) * DAY +
    Number(hours ?? 0) * HOUR +
    Number(minutes ?? 0) * MINUTE +
    Number(seconds ?? 0) * SECOND
  );
}

/**
 * Formats milliseconds as the shortest ISO 8601 duration (`300000` gives `PT5M`, `0` gives `PT0S`).
 * Rounds down to whole seconds.
 */
export function formatIsoDuration(milliseconds: number): IsoDuration {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) {
    throw new RangeError('formatIsoDuration: milliseconds must be a finite number, zero or more');
  }
  let rest = Math.floor(milliseconds / SECOND);
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  const time = `${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${seconds > 0 ? `${seconds}S` : ''}`;
  if (days === 0 && time === '') return 'PT0S';
  return `P${days > 0 ? `${days}D` : ''}${time === '' ? '' : `T${time}`}`;
}
