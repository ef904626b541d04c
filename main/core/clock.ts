// One monotonic clock for the whole engine, in microseconds since start.
// The wall-clock origin lets the UI print "20:31:05.123456" without trusting
// the wall clock for intervals.
const originNs = process.hrtime.bigint();
export const epochMs = Date.now();

export function nowUs(): number {
  return Number((process.hrtime.bigint() - originNs) / 1000n);
}
