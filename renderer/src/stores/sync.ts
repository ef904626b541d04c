// Feeds the stores from the bridge: one pass per event batch, one redraw
// signal per batch for the log and trace however many entries it held.
import type { Client } from '../../../shared/contract/bridge-client.js';
import type { DataEntry, TraceEntry } from '../../../shared/contract/index.js';
import type { BridgeTransport } from '../bridge/types.js';
import { useConnection } from './connection.js';
import { useLog } from './log.js';
import { useSessions } from './sessions.js';
import { useTrace } from './trace.js';

export function startSync(client: Client, transport: BridgeTransport): () => void {
  const connection = useConnection();
  const sessions = useSessions();
  const log = useLog();
  const trace = useTrace();

  connection.kind = transport.kind;
  connection.status = transport.status();
  const offStatus = transport.onStatus((s) => (connection.status = s));

  const offBatch = client.onBatch((events) => {
    const data: DataEntry[] = [];
    const traced: { id: number; entry: TraceEntry }[] = [];
    for (const ev of events) {
      switch (ev.name) {
        case 'session.created':
        case 'session.updated':
          sessions.apply(ev.payload);
          break;
        case 'session.removed':
          sessions.forget(ev.payload.id);
          break;
        case 'session.trace':
          traced.push(ev.payload);
          break;
        case 'session.data':
          data.push(ev.payload);
          break;
        case 'session.dropped':
          // The entries before the gap go in first, so the gap is marked where it was (the conversation shows it).
          if (data.length > 0) log.addMany(data.splice(0));
          log.noteDropped(ev.payload.id, ev.payload.bytes, ev.payload.chunks);
          break;
      }
    }
    if (data.length > 0) log.addMany(data);
    if (traced.length > 0) trace.addMany(traced);
  });

  if (transport.status().state !== 'no-token') void sessions.load();
  return () => {
    offStatus();
    offBatch();
  };
}
