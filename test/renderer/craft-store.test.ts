import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createRouter } from '../../main/bridge/router.js';
import { Workbench } from '../../main/workbench.js';
import { createClient } from '../../shared/contract/bridge-client.js';
import { until } from '../support/engine-harness.js';
import { setClient } from '../../renderer/src/bridge/client.js';
import { useWorkspace } from '../../renderer/src/stores/workspace.js';
import type { AnyEvent } from '../../shared/contract/index.js';
import { buildStack } from '../../shared/packet/index.js';
import { useCraft } from '../../renderer/src/stores/craft.js';

beforeEach(() => {
  setActivePinia(createPinia());
});

/** The page's client over a real workbench and router, with a workspace in a temp folder. */
function realBridge(): { dir: string; close: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-craft-ws-'));
  const wb = new Workbench({ workspace: { dir, source: 'flag', defaultDir: dir } });
  const router = createRouter(wb);
  setClient(createClient({ request: (m, p) => router.handle(m, p), onEvents: (fn) => {
    const sub = router.subscribe(fn);
    return () => sub.close();
  } }));
  return { dir, close: () => wb.close() };
}

const echo = (type: 'echo-request' | 'echo-reply', seq: number) => {
  const b = buildStack([{ kind: 'ipv4', fields: {} }, { kind: 'icmp', fields: { type, id: 1, seq } }]);
  if (!b.ok) throw new Error(b.message);
  return b.bytes;
};
// Events carry the ref the run was started with (the store makes one per start and sends it with the call).
const sent = (ref: string, index: number): AnyEvent => ({ name: 'craft.sent', payload: { id: 7, ref, index, packet: 0, bytes: echo('echo-request', index), tUs: index * 1000 } });
const reply = (ref: string, answers: number | null, seq: number): AnyEvent => ({
  name: 'craft.reply', payload: { id: 7, ref, answers, bytes: echo('echo-reply', seq), first: 'ipv4', from: '127.0.0.1', tUs: seq * 1000 + 50, rttUs: 50 },
});

describe('craft store', () => {
  it('takes its run\'s events by ref, even before craft.send answers; replies go under the packet they answer, unmatched ones on their own', async () => {
    const c = useCraft();
    let answer!: (r: { id: number }) => void;
    let ref = '';
    const started = c.start({ packets: [[{ kind: 'ipv4', fields: {} }]], via: 'raw', count: 2, intervalMs: 0, listenMs: 0, variables: [] }, (p) => ((ref = p.ref!), new Promise((r) => (answer = r))));
    c.handle([sent('craft-other-1', 0), sent(ref, 0), reply(ref, 0, 0)]);
    expect(c.results.length).toBe(1);
    answer({ id: 7 });
    expect(await started).toBe(true);
    expect(c.results.length).toBe(1);
    expect(c.results.at(0)!.replies.map((r) => r.summary)).toEqual(['IPv4 ttl 64 · ICMP echo-reply id 1 seq 0']);
    const v = c.version;
    c.handle([sent(ref, 1), reply(ref, 1, 1), reply(ref, null, 9)]);
    expect(c.version).toBe(v + 1);
    expect(c.results.length).toBe(3);
    expect(c.results.at(1)!.summary).toBe('IPv4 127.0.0.1 → 127.0.0.1 ttl 64 · ICMP echo-request id 1 seq 1');
    expect(c.results.at(1)!.replies).toHaveLength(1);
    expect(c.results.at(2)!.sent).toBeNull();
    expect([c.run.sent, c.run.replies]).toEqual([2, 3]);
    c.handle([{ name: 'craft.done', payload: { id: 7, ref, sent: 2, errors: 0, replies: 3, stopped: false, error: 'a note' } }]);
    expect(c.run.running).toBe(false);
    expect(c.run.done?.error).toBe('a note');
  });

  it('saves templates into the workspace as raw packets (their layer lines) and lists them after the built-ins', async () => {
    const { dir, close } = realBridge();
    try {
      const c = useCraft();
      c.attach();
      c.setGiven(0, 'ttl', '9');
      expect(await c.saveTemplate('mine')).toBeNull();
      await until(() => c.templates.some((t) => t.id === 'saved:mine'), 'the saved template listed');
      expect(c.templates.at(-1)).toMatchObject({ id: 'saved:mine', builtin: false });
      expect(readFileSync(join(dir, 'packets', 'mine.yaml'), 'utf8')).toMatch(/^protocol: raw\nlayers:\n {2}- ipv4 ttl=9 .*\/ icmp/m);
      c.useTemplate('builtin:UDP datagram');
      expect(c.packet.map((l) => l.kind)).toEqual(['ipv4', 'udp', 'payload']);
      c.useTemplate('saved:mine');
      expect(c.packet[0]!.given.ttl).toBe('9');
      await c.deleteTemplate('mine');
      expect(c.templates.some((t) => !t.builtin)).toBe(false);
      expect(existsSync(join(dir, 'packets', 'mine.yaml'))).toBe(false);
    } finally {
      await close();
    }
  });

  it('carries templates an older version kept in localStorage into the workspace once, then forgets the key', async () => {
    const store = new Map<string, string>([['sockbench.craft.templates', JSON.stringify([
      { name: 'old one', packets: [[{ kind: 'ipv4', given: { dst: '127.0.0.1', ttl: '3' } }, { kind: 'icmp', given: { type: 'echo-request' } }]] },
      { name: 'fragments', packets: [[{ kind: 'ipv4', given: { flags: 'MF' } }], [{ kind: 'ipv4', given: { frag: '1' } }]] },
    ])]]);
    vi.stubGlobal('localStorage', { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v), removeItem: (k: string) => store.delete(k) });
    const { close } = realBridge();
    try {
      const c = useCraft();
      await c.migrateTemplates();
      const w = useWorkspace();
      await w.load();
      expect(w.packets.map((p) => [p.packet.name, p.packet.layers])).toEqual([
        ['fragments', ['ipv4 flags=MF', 'ipv4 frag=1']],
        ['old one', ['ipv4 ttl=3 dst=127.0.0.1 / icmp type=echo-request']],
      ]);
      expect(store.has('sockbench.craft.templates')).toBe(false);
      c.useTemplate('saved:old one');
      expect(c.packet.map((l) => [l.kind, l.given])).toEqual([['ipv4', { ttl: '3', dst: '127.0.0.1' }], ['icmp', { type: 'echo-request' }]]);
    } finally {
      vi.unstubAllGlobals();
      await close();
    }
  });
});
