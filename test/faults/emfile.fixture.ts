// Run by emfile.test.ts under `prlimit --nofile=256`: a workbench driven
// through its router past the open-files limit. It says what it sees as JSON
// lines on stdout and waits on stdin for the test (which holds the peers,
// outside the limit) between steps.
import { createInterface } from 'node:readline';
import type { BridgeError } from '../../shared/contract/index.js';
import { rawPrivilege } from '../../main/raw/privilege.js';
import { harness, until } from '../support/engine-harness.js';

const h = harness();
const say = (m: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(m)}\n`);
const input = createInterface({ input: process.stdin });
const lines: string[] = [];
let wake: (() => void) | undefined;
input.on('line', (l) => {
  lines.push(l);
  wake?.();
});
const next = async (): Promise<string> => {
  while (!lines.length) await new Promise<void>((r) => (wake = r));
  return lines.shift()!;
};
const errorOf = async (p: Promise<unknown>): Promise<BridgeError | null> => p.then(() => null, (e: { error?: BridgeError }) => e.error ?? { code: 'INTERNAL', message: String(e) });

// An auto-accepting listener that echoes, made while descriptors are free.
const l = await h.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
const bound = await h.call('socket.bind', { id: l.id, address: '127.0.0.1', port: 0 });
await h.call('socket.listen', { id: l.id, backlog: 16 });
await h.call('socket.setServeMode', { id: l.id, mode: 'echo' });
say({ step: 'listening', port: bound.local!.port });

// Every descriptor taken, by sessions, until socket() says EMFILE.
const fillers: number[] = [];
let createError: BridgeError | null = null;
while (!createError) {
  const s = h.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
  createError = await errorOf(s);
  if (!createError) fillers.push((await s).id);
}
const capsError = await errorOf(h.call('engine.capabilities', {}));
const pingError = await errorOf(h.call('ping.start', { target: '127.0.0.1', count: 1, intervalMs: 10, size: 56, timeoutMs: 500 }));
say({ step: 'full', fillers: fillers.length, createError, capsError, pingError });

await next(); // the test connected its clients and wrote to them
const listener = h.engine.get(l.id);
const starved = await until(() => listener.trace.find((e) => e.call === 'accept' && e.errno?.name === 'EMFILE'), 'the listener to say EMFILE', 10_000);
const children = () => h.engine.list().filter((s) => s.parent === l.id);
const waiting = await until(() => (listener.info().pending ?? 0) >= 5 && listener.info().pending, 'five connections waiting in the kernel', 10_000);
say({ step: 'starved', trace: starved.message, pending: waiting, accepted: children().length });

// Descriptors free again: the waiting connections are accepted (and echo).
for (const id of fillers.splice(0, 40)) await h.call('socket.close', { id });
await until(() => children().length >= 5, 'the waiting connections accepted', 10_000);
say({ step: 'accepted', accepted: children().length, trace: listener.trace.filter((e) => e.call === 'accept' && e.ok).map((e) => e.result) });

await next(); // the test got its echoes
const caps = await h.call('engine.capabilities', {});
// The helper that could not start gets another chance now that descriptors are free.
const ping = rawPrivilege().privileged ? await errorOf(h.call('ping.start', { target: '127.0.0.1', count: 1, intervalMs: 10, size: 56, timeoutMs: 2000 })) : 'unprivileged';
say({ step: 'recovered', tcp: caps.combos.find((c) => c.family === 'AF_INET' && c.type === 'SOCK_STREAM'), ping });
await h.close();
process.exit(0);
