// The name a store gives each run it starts (ping, traceroute, sweep, raw
// socket, crafted send). The start call carries it and every event of that
// run carries it back (the contract's RunRef), so a store knows its run's
// events even before the call has answered with the id, and ignores the
// runs of other windows.
let counter = 0;
const page = Math.random().toString(36).slice(2, 10);

export function newRunRef(kind: string): string {
  return `${kind}-${page}-${++counter}`;
}

/** Whether an event belongs to the run started with `ref`. */
export function isOurs(payload: { ref?: string }, ref: string | null): boolean {
  return ref !== null && payload.ref === ref;
}
