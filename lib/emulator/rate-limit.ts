// Per-route throttling, as the API gateway applies its requests-per-second limit to each API.

/** A sliding one-second window per key: at most `perSecond` requests in any 1000 ms. */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly perSecond: number) {}

  /** Counts the request and says whether it is within the limit (refused requests do not count). */
  allow(key: string, nowMs: number): boolean {
    let window = this.windows.get(key);
    if (!window) {
      window = [];
      this.windows.set(key, window);
    }
    let expired = 0;
    while (expired < window.length && window[expired] <= nowMs - 1000) expired++;
    if (expired > 0) window.splice(0, expired);
    if (window.length >= this.perSecond) return false;
    window.push(nowMs);
    return true;
  }

  reset(): void {
    this.windows.clear();
  }
}
