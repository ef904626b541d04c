import { createPinia, setActivePinia } from 'pinia';
import { computed, effect, nextTick } from 'vue';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../../shared/contract/bridge-client.js';
import { CallError, type DataEntry, type SessionInfo, type TraceEntry } from '../../../shared/contract/index.js';
import { setClient } from '../bridge/client.js';
import { ACTION, toNumber, useCall } from '../lib/use-call.js';
import { VIEW_PERIOD_MS } from '../lib/view-clock.js';
import { draftBytes, KEEP_TEXT_MAX, useComposer } from './composer.js';
import { useLog } from './log.js';
import { useSessions } from './sessions.js';
import { useTrace } from './trace.js';

/** The view clock's next tick has run (in Node: no animation frames, a timer). */
const viewTick = () => new Promise<void>((r) => setTimeout(r, VIEW_PERIOD_MS + 20));
const data = (id: number, tUs: number, ...bytes: number[]): DataEntry => ({ id, dir: 'in', tUs, bytes: Uint8Array.from(bytes) });
const tr = (seq: number, call = 'send'): TraceEntry => ({ seq, tUs: seq * 10, call, args: {}, ok: true });
const info = (id: number, extra: Partial<SessionInfo> = {}): SessionInfo => ({
  id, family: 'AF_INET', type: 'SOCK_STREAM', state: 'created', readMode: 'auto', timeoutMs: null,
  counters: { bytesIn: 0, bytesOut: 0, chunksIn: 0, chunksOut: 0 }, createdUs: 0, ...extra,
});

beforeEach(() => setActivePinia(createPinia()));

describe('log store', () => {
  it('merges history with live entries without losing or doubling any', () => {
    const log = useLog();
    log.addMany([data(1, 5, 1), data(1, 30, 3)]); // live, some older than the history, some inside it
    log.mergeHistory(1, [data(1, 10, 2), data(1, 30, 3)], 0);
    expect(log.rings.get(1)!.toArray().map((e) => e.tUs)).toEqual([5, 10, 30]);
    // Events trail replies: a live event already in the history is skipped, newer ones kept.
    log.addMany([data(1, 30, 3), data(1, 40, 4)]);
    expect(log.rings.get(1)!.toArray().map((e) => e.tUs)).toEqual([5, 10, 30, 40]);
  });

  it('bumps its version once per batch and counts what the bridge dropped, shown at the view clock', async () => {
    const log = useLog();
    const v = log.version;
    log.addMany([data(2, 1, 1), data(2, 2, 2), data(3, 3, 3)]);
    expect(log.version).toBe(v + 1);
    log.noteDropped(2, 100, 3);
    log.noteDropped(2, 50, 1);
    // Marked at once where the gap is (the next entry's sequence number)...
    expect(log.gapBefore(2, 2)).toBe(150);
    // ...and counted on screen once per view tick: a flood skips some in every batch, and the log's
    // header redrawn with each one cost the page a sixth of a core (docs/BENCHMARKS.md).
    expect(log.drops.get(2)?.floodChunks ?? 0).toBe(0);
    await viewTick();
    expect(log.drops.get(2)).toMatchObject({ floodBytes: 150, floodChunks: 4 });
    log.forget(2);
    log.noteDropped(2, 10, 1);
    log.forget(2);
    await viewTick();
    expect(log.drops.get(2)).toBeUndefined(); // a session gone before the tick is not brought back
  });
});

describe('trace store', () => {
  it('dedupes by seq, whichever of history and events comes first', () => {
    const trace = useTrace();
    trace.mergeHistory(1, [tr(1, 'socket'), tr(2, 'bind')]);
    trace.addMany([{ id: 1, entry: tr(1, 'socket') }, { id: 1, entry: tr(2, 'bind') }, { id: 1, entry: tr(3, 'listen') }]);
    expect(trace.rings.get(1)!.toArray().map((e) => e.call)).toEqual(['socket', 'bind', 'listen']);
  });
});

describe('composer', () => {
  it('gives the exact bytes, with the chosen appendix counted apart', () => {
    const c = useComposer();
    const d = c.draft(1);
    d.text = 'hello';
    d.append = 'crlf';
    const r = draftBytes(d);
    expect(r.ok && [...r.bytes]).toEqual([0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0d, 0x0a]);
    expect(r.ok && r.appended).toBe(2);
    d.mode = 'hex';
    d.text = '01 03 00 00 00 0a';
    d.append = 'crc16-modbus';
    const m = draftBytes(d);
    expect(m.ok && [...m.bytes.subarray(6)]).toEqual([0xc5, 0xcd]);
    expect(c.checksumOf(1)).toBe('crc16-modbus');
    d.append = 'lf';
    expect(c.checksumOf(1)).toBeNull();
  });

  it('encodes the text in the chosen encoding and names a character it cannot hold', () => {
    const c = useComposer();
    const d = c.draft(3);
    d.encoding = 'gbk';
    d.text = '你好\\r\\n';
    const r = draftBytes(d);
    expect(r.ok && [...r.bytes]).toEqual([0xc4, 0xe3, 0xba, 0xc3, 0x0d, 0x0a]);
    expect(c.encodingOf(3)).toBe('gbk');
    d.text = '你好😀';
    const e = draftBytes(d);
    expect(!e.ok && e.error).toMatchObject({ code: 'unencodable-char', position: 3, text: '😀' });
  });

  it('rewrites the text when the mode changes, keeping the bytes', () => {
    const c = useComposer();
    const d = c.draft(2);
    d.text = 'hi\\r\\n';
    c.setMode(d, 'hex');
    expect(d.text).toBe('68 69 0d 0a');
    c.setMode(d, 'base64');
    expect(d.text).toBe('aGkNCg==');
    c.setMode(d, 'text');
    expect(d.text).toBe('hi\\r\\n');
    d.text = 'bad \\q';
    c.setMode(d, 'hex');
    expect(d.text).toBe('bad \\q'); // unparseable: left as typed
  });

  it('keeps a send history that the up and down arrows walk as in a shell', () => {
    const c = useComposer();
    const d = c.draft(4);
    for (const text of ['one', 'two', 'two', 'three']) {
      d.text = text;
      c.sent(4, d);
    }
    expect(d.history.map((h) => h.text)).toEqual(['one', 'two', 'three']); // not twice in a row
    d.text = 'draft';
    expect(c.walk(4, d, -1)).toBe(true);
    expect(d.text).toBe('three');
    c.walk(4, d, -1);
    c.walk(4, d, -1);
    expect(d.text).toBe('one');
    expect(c.walk(4, d, -1)).toBe(false); // nothing older
    expect(d.text).toBe('one');
    c.walk(4, d, 1);
    c.walk(4, d, 1);
    c.walk(4, d, 1);
    expect(d.text).toBe('draft'); // back to what was being written
    expect(c.walk(4, d, 1)).toBe(false);
    // A hex entry comes back in hex.
    c.setMode(d, 'hex');
    d.text = 'de ad';
    c.sent(4, d);
    c.setMode(d, 'text');
    c.walk(4, d, -1);
    expect([d.mode, d.text]).toEqual(['hex', 'de ad']);
  });

  it('keeps a pasted megabyte out of the history', () => {
    const c = useComposer();
    const d = c.draft(6);
    d.text = 'ab'.repeat(KEEP_TEXT_MAX);
    c.sent(6, d);
    expect(d.history).toEqual([]);
  });

  it('clears the text after a send when asked', () => {
    const c = useComposer();
    const d = c.draft(5);
    d.text = 'ping';
    c.sent(5, d);
    expect(d.text).toBe('ping');
    d.clearAfterSend = true;
    c.sent(5, d);
    expect(d.text).toBe('');
    expect(d.history.map((h) => h.text)).toEqual(['ping']);
  });

  it('keeps drafts across a page reload, per workbench run, and ignores a bad saved draft', async () => {
    const store = new Map<string, string>();
    const fake = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    vi.stubGlobal('sessionStorage', fake);
    try {
      useSessions().epochMs = 1234;
      const d = useComposer().draft(7);
      d.encoding = 'big5';
      d.text = '測試';
      useComposer().sent(7, d);
      await nextTick();
      // A reload: new stores, same storage.
      setActivePinia(createPinia());
      useSessions().epochMs = 1234;
      const again = useComposer().draft(7);
      expect([again.encoding, again.text, again.history.map((h) => h.text)]).toEqual(['big5', '測試', ['測試']]);
      // Another workbench run's session 7 is another session.
      setActivePinia(createPinia());
      useSessions().epochMs = 999;
      expect(useComposer().draft(7).text).toBe('');
      store.set('sockbench.composer.1234.8', '{"encoding":"klingon","mode":"text","history":[{"text":1}],"text":"ok"}');
      setActivePinia(createPinia());
      useSessions().epochMs = 1234;
      expect(useComposer().draft(8)).toMatchObject({ encoding: 'utf-8', text: 'ok', history: [] });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('sessions store', () => {
  it('lists accepted connections under their listener and forgets removed sessions for good', () => {
    const s = useSessions();
    s.apply(info(1, { state: 'listening' }));
    s.apply(info(2));
    s.apply(info(3, { parent: 1, state: 'connected' }));
    expect(s.rows.map((r) => [r.session.id, r.depth])).toEqual([[1, 0], [3, 1], [2, 0]]);
    s.forget(2);
    s.apply(info(2, { state: 'closed' })); // a late update must not resurrect it
    expect(s.rows.map((r) => r.session.id)).toEqual([1, 3]);
  });

  it('draws a change of state at once, with the newest counters, and a held counter update never brings older ones back', async () => {
    const s = useSessions();
    const c = (bytesIn: number) => ({ bytesIn, bytesOut: 0, chunksIn: bytesIn, chunksOut: 0 });
    s.apply(info(1, { state: 'connected', counters: c(0) }));
    s.apply(info(1, { state: 'connected', counters: c(10) }));
    s.apply(info(1, { state: 'closed', counters: c(20) }));
    expect(s.byId.get(1)!.state).toBe('closed');
    expect(s.byId.get(1)!.counters.bytesIn).toBe(20);
    await viewTick();
    expect(s.byId.get(1)!.counters.bytesIn, 'the held update of 10 came back').toBe(20);
    s.apply(info(1, { state: 'closed', counters: c(30) }));
    s.forget(1);
    await viewTick();
    expect(s.byId.has(1), 'a held update brought a forgotten session back').toBe(false);
  });

  it('patches a session in place: a counter change reaches what reads counters, not what reads the state or the list', async () => {
    const s = useSessions();
    s.apply(info(1, { state: 'bound', local: { family: 'AF_INET', address: '127.0.0.1', port: 9 } }));
    const held = s.byId.get(1)!;
    let stateRuns = 0;
    let bytesRuns = 0;
    effect(() => void (stateRuns++, held.state, held.local?.port));
    effect(() => void (bytesRuns++, held.counters.bytesIn));
    const rows = computed(() => s.rows.map((r) => r.session.id));
    expect(rows.value).toEqual([1]);
    const rowsBefore = rows.value;
    s.apply(info(1, { state: 'bound', local: { family: 'AF_INET', address: '127.0.0.1', port: 9 }, counters: { bytesIn: 64, bytesOut: 0, chunksIn: 1, chunksOut: 0 } }));
    // Counters alone are drawn at the view clock's next tick (a flood moves them every batch).
    expect(held.counters.bytesIn).toBe(0);
    await viewTick();
    expect(s.byId.get(1)).toBe(held);
    expect(held.counters.bytesIn).toBe(64);
    expect([stateRuns, bytesRuns]).toEqual([1, 2]);
    expect(rows.value, 'the list did not recompute').toBe(rowsBefore);
    // Fields that went away go away; changed ones change.
    s.apply(info(1, { state: 'closed', counters: { bytesIn: 64, bytesOut: 0, chunksIn: 1, chunksOut: 0, kernelDropped: 3 } }));
    expect(held.local).toBeUndefined();
    expect(held.state).toBe('closed');
    expect(held.counters.kernelDropped).toBe(3);
    expect(stateRuns, "a state change does reach what reads the state").toBeGreaterThan(1);
  });
});

describe('useCall', () => {
  const calls: string[] = [];
  const fake = (fail?: CallError): Client => ({
    call: async (method) => {
      calls.push(method);
      if (fail) throw fail;
      return {} as never;
    },
    on: () => () => undefined,
    onBatch: () => () => undefined,
  });

  it('validates against the contract first: port 70000 never leaves the page', async () => {
    calls.length = 0;
    setClient(fake());
    const c = useCall(['address', 'port']);
    await c.run('socket.bind', { id: 1, address: '127.0.0.1', port: toNumber('70000') });
    expect(c.errors.port).toBe('port must be between 0 and 65535');
    expect(calls).toEqual([]);
    await c.run('socket.bind', { id: 1, address: 'no pe', port: toNumber('') });
    expect(c.errors.address).toMatch(/not an IP address/);
    expect(c.errors.port).toBe('port must be a number');
  });

  it('puts a server error next to the field it names, or next to the button', async () => {
    setClient(fake(new CallError({ code: 'OS_ERROR', message: 'bind: EADDRINUSE (98): in use', errno: { name: 'EADDRINUSE', number: 98 }, field: 'port' })));
    const c = useCall(['address', 'port']);
    await c.run('socket.bind', { id: 1, address: '127.0.0.1', port: 80 });
    expect(c.errors.port).toBe('bind: EADDRINUSE (98): in use');
    setClient(fake(new CallError({ code: 'NO_SUCH_SESSION', message: 'there is no session #1', field: 'id' })));
    await c.run('socket.bind', { id: 1, address: '127.0.0.1', port: 80 });
    expect(c.errors[ACTION]).toBe('there is no session #1');
    expect(c.errors.port).toBeUndefined();
  });
});
