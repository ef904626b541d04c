// Fault injection (issue 16): the socket worker is SIGKILLed mid-transfer.
// Calls in flight (a sendall going, a blocking send waiting for room) end
// with a typed error naming the signal; every worker session goes to error;
// what each session counted is exactly what its events carried, and nothing
// moves for them afterwards; the restarted worker serves new sessions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { harness, rejection, text, until } from '../support/engine-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'sockbench-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let h: ReturnType<typeof harness> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function seqPair(t: ReturnType<typeof harness>, name: string) {
  const srv = await t.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
  await t.call('socket.bind', { id: srv.id, address: join(dir, name), port: 0 });
  await t.call('socket.listen', { id: srv.id, backlog: 8 });
  const cli = await t.call('socket.create', { family: 'AF_UNIX', type: 'SOCK_SEQPACKET' });
  await t.call('socket.connect', { id: cli.id, address: join(dir, name), port: 0 });
  const peer = await until(() => t.engine.list().find((s) => s.parent === srv.id), 'the accepted connection');
  return { srv: srv.id, cli: cli.id, peer: peer.id };
}

/** Bytes the session.data events of one session carried, one way. */
function carried(t: ReturnType<typeof harness>, id: number, dir: 'in' | 'out'): number {
  return t.of('session.data', id).filter((d) => d.dir === dir).reduce((n, d) => n + d.bytes.byteLength, 0);
}

describe('the socket worker killed mid-transfer', () => {
  it('calls in flight fail naming SIGKILL, counts match the events exactly, and nothing moves afterwards', async () => {
    const t = (h = harness());
    // One pair with data flowing (auto read), one whose reader is stalled (a send waits for room).
    const flowing = await seqPair(t, 'flow.sock');
    const stalled = await seqPair(t, 'stall.sock');
    await t.call('socket.setReadMode', { id: stalled.peer, mode: 'manual' });
    const chunk = new Uint8Array(16 * 1024).fill(9);
    let stop = false;
    const pump = (async () => {
      for (;;) {
        if (stop) return null;
        await t.call('socket.sendall', { id: flowing.cli, data: chunk });
      }
    })().catch((e: unknown) => e as { error: { code: string; message: string } });
    await t.call('socket.settimeout', { id: stalled.cli, timeoutMs: 0 });
    for (let i = 0; i < 5000; i++) {
      const e = await t.call('socket.send', { id: stalled.cli, data: chunk }).then(() => null, (x: { error: { errno?: { name: string } } }) => x.error);
      if (e) break;
    }
    await t.call('socket.settimeout', { id: stalled.cli, timeoutMs: null });
    const waiting = rejection(t.call('socket.send', { id: stalled.cli, data: chunk }));
    await until(() => carried(t, flowing.peer, 'in') > 1 << 20, 'a megabyte flowing');

    const pid = t.engine.socketWorker!.pid!;
    process.kill(pid, 'SIGKILL');
    const died = await pump;
    expect(died).toMatchObject({ error: { code: 'INTERNAL', message: expect.stringMatching(/socket worker died \(SIGKILL\)/) } });
    expect((await waiting).error).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/SIGKILL/) });
    const sessions = [...Object.values(flowing), ...Object.values(stalled)];
    await until(() => sessions.every((id) => t.engine.get(id).state === 'error'), 'every worker session in error');

    // Exact: each counter is what the events carried, and stays so.
    const counts = sessions.map((id) => ({ ...t.engine.get(id).counters }));
    for (const id of sessions) {
      const c = t.engine.get(id).counters;
      expect(c.bytesIn).toBe(carried(t, id, 'in'));
      expect(c.bytesOut).toBe(carried(t, id, 'out'));
    }
    const events = t.of('session.data').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(t.of('session.data')).toHaveLength(events);
    expect(sessions.map((id) => ({ ...t.engine.get(id).counters }))).toEqual(counts);
    stop = true;

    // The restarted worker serves a new pair.
    const again = await seqPair(t, 'again.sock');
    await t.call('socket.send', { id: again.cli, data: text('alive') });
    await until(() => carried(t, again.peer, 'in') === 5, 'a message after the restart');
    expect(t.engine.socketWorker!.pid).not.toBe(pid);
  });
});
