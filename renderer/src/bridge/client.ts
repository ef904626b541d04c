// The one bridge client of this window. Stores and the forms' call helper
// (lib/use-call.ts, which checks params against the contract first) call
// through it; a few components call it directly for what is not a form
// (the kernel's capabilities, a file sent or saved in chunks, stopping a
// repeated send).
import type { Client } from '../../../shared/contract/bridge-client.js';

let current: Client | null = null;

export function setClient(client: Client): void {
  current = client;
}

export function client(): Client {
  if (!current) throw new Error('the bridge client is not set up yet (setClient first)');
  return current;
}
