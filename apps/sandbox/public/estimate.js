/** The wait estimate as the ops console quotes it: the callers' rounding, and how old the figure is. */

/** An estimate older than this is what the phone refuses to quote (the voice-adapter's `quotableWait`). */
export const STALE_AFTER_SECONDS = 120;

/** "less than a minute" or "about N min": the rounding the phone and the agents use (nearest minute). */
export function waitText(seconds) {
  return seconds < 60 ? 'less than a minute' : `about ${Math.round(seconds / 60)} min`;
}

/** "as of 12 s ago", "as of 3 min ago" for the time the router computed the estimate; `now` in epoch ms. */
export function ageText(at, now) {
  const age = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  return `as of ${age >= 90 ? `${Math.round(age / 60)} min` : `${age} s`} ago`;
}

/** The estimate with its age, e.g. "about 10 min, as of 12 s ago", and whether it is too old to quote. */
export function estimateWithAge(estimatedWaitSeconds, at, now) {
  const stale = (now - Date.parse(at)) / 1000 > STALE_AFTER_SECONDS;
  return { text: `${waitText(estimatedWaitSeconds)}, ${ageText(at, now)}`, stale };
}
