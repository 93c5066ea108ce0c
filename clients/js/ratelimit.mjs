// Rate limits as the server states them: every rate-limit `data` string (and a 4029 close's reason) starts
// with one prefix, then the whole seconds to wait.

/** Every rate-limit `data` string starts with this, then the whole seconds to wait. */
export const RATE_LIMIT_PREFIX = 'rate limited: retry after ';

/** The seconds a rate-limit error's `data` (or a 4029 close's reason) asks to wait, or null for anything else. */
export function retryAfterSeconds(data) {
  if (typeof data !== 'string' || !data.startsWith(RATE_LIMIT_PREFIX)) {
    return null;
  }
  return parseInt(data.slice(RATE_LIMIT_PREFIX.length), 10);
}
