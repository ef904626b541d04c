// The one bridge client of this window. Stores call through it; components
// never do.
import type { Client } from '../../../shared/contract/bridge-client.js';

let current: Client | null = null;

export function setClient(client: Client): void {
  current = client;
}

export function client(): Client {
  if (!current) throw new Error('the bridge client is not set up yet (setClient first)');
  return current;
}
