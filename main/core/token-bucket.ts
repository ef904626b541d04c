// Thins events that would flood the renderer (ping replies, raw packets,
// crafted sends): whoever drops one counts it and says how many were skipped.
/**
 * A token bucket: `rate` per second, bursts up to `rate`. It thins events
 * (replies, packets, crafted sends) that would flood the renderer.
 */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(private readonly rate: number) {
    this.tokens = rate;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
