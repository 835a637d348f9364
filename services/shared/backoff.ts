export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Cap on the delay, so a long outage does not push retries out to hours. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 30_000 };

/**
 * Delay before retry number `retry` (1 = first retry): exponential, capped, with "equal jitter"
 * (half fixed, half random) so that a burst of failures does not retry in lock-step against a
 * recovering server, yet never retries at once.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be an integer >= 1 (got ${retry})`);
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  return exp / 2 + random() * (exp / 2);
}
