// RawHelper against the real helper (from sources, as root): packets on the
// engine's clock, supervision after SIGKILL, the sandbox, and elevation
// through stand-in pkexec scripts (dismissed, refused, allowed, missing).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nowUs } from '../core/clock.js';
import { RawHelper, RawHelperDiedError, RawHelperError, RawHelperUnavailableError, type RawHelperEvents, type RawHelperOptions, type RawPacket } from './raw-helper.js';
import { elevationPlan } from './privilege.js';
import { echoRequest, helperEntry, tsxArgv } from './testkit.js';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
let rh: RawHelper | undefined;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockbench-raw-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await rh?.stop();
  rh = undefined;
});

function helper(opts: RawHelperOptions = {}): RawHelper {
  rh = new RawHelper({ entry: helperEntry, execArgv: tsxArgv, ...opts });
  return rh;
}

/** The next `name` event (matching `pick`), or a clear failure after `ms`. */
function next<K extends keyof RawHelperEvents>(r: RawHelper, name: K, pick: (...a: RawHelperEvents[K]) => boolean = () => true, ms = 10_000): Promise<RawHelperEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      r.off(name, on as never);
      reject(new Error(`no ${String(name)} event within ${ms} ms (status ${r.status()}: ${r.reason})`));
    }, ms);
    function on(...a: RawHelperEvents[K]) {
      if (!pick(...a)) return;
      clearTimeout(timer);
      r.off(name, on as never);
      resolve(a);
    }
    r.on(name, on as never);
  });
}

const echoId = (p: RawPacket) => {
  const at = p.ipHeader ? (p.bytes[0]! & 0x0f) * 4 : 0;
  return { type: p.bytes[at], id: (p.bytes[at + 4]! << 8) | p.bytes[at + 5]! };
};

/** Opens an ICMP socket, sends one echo, resolves with the send and the kernel's reply. */
async function pingOnce(r: RawHelper, id: number) {
  const { handle } = await r.open({ protocol: 'icmp', family: 4 });
  const reply = next(r, 'packet', (p) => p.handle === handle && echoId(p).type === 0 && echoId(p).id === id);
  const sent = await r.send(handle, echoRequest(4, id, 1), '127.0.0.1');
  const [packet] = await reply;
  return { handle, sent, packet };
}

/** A stand-in for pkexec, alone in its own directory (found through PATH). */
function pkexecDir(body: string): string {
  const d = mkdtempSync(join(dir, 'pkexec-'));
  const file = join(d, 'pkexec');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return d;
}

describe('RawHelper', () => {
  it('starts when privileged, opens, sends and streams packets with times on the engine clock', async () => {
    const r = helper();
    const statuses: string[] = [];
    r.on('status', (s) => statuses.push(s));
    expect(r.status()).toBe('stopped');
    const ready = next(r, 'ready');
    expect(r.start()).toBe('starting');
    const [info] = await ready;
    expect(info.pid).toBe(r.pid);
    expect(info.sandboxed).toBe(false); // from sources (tsx); the bundle is sandboxed, see below
    expect(r.status()).toBe('ready');
    const before = nowUs();
    const { handle, sent, packet } = await pingOnce(r, 0x4100 + (process.pid & 0xff));
    const after = nowUs();
    expect(sent.sent).toBe(33);
    expect(sent.tUs).toBeGreaterThanOrEqual(before - 2);
    expect(packet.tUs).toBeGreaterThan(sent.tUs);
    expect(packet.tUs).toBeLessThanOrEqual(after + 2);
    expect(packet).toMatchObject({ handle, from: '127.0.0.1', ipHeader: true });
    expect(r.handles()).toEqual([handle]);
    await r.close(handle);
    expect(r.handles()).toEqual([]);
    expect(statuses).toEqual(['starting', 'ready']);
  });

  it('refusals are RawHelperErrors with the errno; calls start the helper on their own', async () => {
    const r = helper();
    const ready = next(r, 'ready');
    // A handle no helper gave: refused here, and the call started the helper all the same.
    const err = await r.send(12345, new Uint8Array(8), '127.0.0.1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RawHelperError);
    expect(err).toMatchObject({ code: 'EBADF', syscall: 'sendto' });
    await ready;
    expect(r.status()).toBe('ready');
    // One of this helper's handles that is not open: the helper itself says EBADF.
    const { handle } = await r.open({ protocol: 'icmp', family: 4 });
    await r.close(handle);
    expect(await r.send(handle, new Uint8Array(8), '127.0.0.1').catch((e: unknown) => e)).toMatchObject({ code: 'EBADF', syscall: 'sendto', message: expect.stringMatching(/no raw socket with handle/) });
  });

  it('SIGKILL: the in-flight send rejects naming SIGKILL, `died` lists the handles, a new helper serves', async () => {
    const r = helper();
    const { handle } = await r.open({ protocol: 'icmp', family: 4 });
    const pid = r.pid!;
    const died = next(r, 'died');
    // Stopped, it cannot answer: the send is surely in flight when the kill lands.
    process.kill(pid, 'SIGSTOP');
    const inFlight = r.send(handle, echoRequest(4, 1, 1), '127.0.0.1').catch((e: unknown) => e);
    process.kill(pid, 'SIGKILL');
    const err = await inFlight;
    expect(err).toBeInstanceOf(RawHelperDiedError);
    expect((err as Error).message).toMatch(/SIGKILL/);
    expect(err).toMatchObject({ signal: 'SIGKILL', exitCode: null });
    const [info] = await died;
    expect(info).toMatchObject({ signal: 'SIGKILL', handles: [handle] });
    await next(r, 'ready');
    expect(r.pid).not.toBe(pid);
    expect(r.status()).toBe('ready');
    expect(r.handles()).toEqual([]);
    const again = await pingOnce(r, 0x4200 + (process.pid & 0xff));
    expect(again.packet.from).toBe('127.0.0.1');
  });

  it('a helper that keeps dying before it is ready ends in `failed` with its last words', async () => {
    const entry = join(dir, 'broken-helper.cjs');
    writeFileSync(entry, "process.stderr.write('raw helper: fatal: cannot load raw-socket\\n'); process.exit(70);\n");
    const r = helper({ entry, execArgv: [], maxFailedStarts: 2 });
    const failed = next(r, 'status', (s) => s === 'failed');
    r.start();
    await failed;
    expect(r.reason).toMatch(/2 attempts; last: exit code 70: raw helper: fatal: cannot load raw-socket/);
    await expect(r.open({ protocol: 'icmp', family: 4 })).rejects.toBeInstanceOf(RawHelperUnavailableError);
  });

  it('the bundled helper runs under Node\'s permission model: reads only its app directory, writes nothing, starts nothing', async () => {
    // Built like build/bundle.mjs does, beside node_modules so raw-socket resolves.
    const out = join(root, 'node_modules', '.cache', `sockbench-raw-test-${process.pid}`);
    await build({ entryPoints: [helperEntry], outfile: join(out, 'raw-helper.cjs'), bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['raw-socket', '*.node'], logLevel: 'error' });
    try {
      const r = helper({ entry: join(out, 'raw-helper.cjs'), execArgv: [] });
      const ready = next(r, 'ready');
      r.start();
      const [info] = await ready;
      expect(info.sandboxed).toBe(true);
      const argv = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain(`--allow-fs-read=${root}/*`);
      expect(argv).not.toContain('--allow-worker');
      await pingOnce(r, 0x4400 + (process.pid & 0xff));
    } finally {
      await rh?.stop();
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('stop() closes the helper through its stdin; calls after that start a new one', async () => {
    const r = helper();
    await r.open({ protocol: 'icmp', family: 4 });
    await r.stop();
    expect(r.status()).toBe('stopped');
    expect(r.pid).toBeUndefined();
    await r.open({ protocol: 'icmpv6', family: 6 });
    expect(r.status()).toBe('ready');
  });
});

describe('RawHelper without privilege', () => {
  const unprivileged = () => ({ privileged: false, reason: 'test: no CAP_NET_RAW' });

  it('does not spawn anything; calls reject with the explanation', async () => {
    let launched = 0;
    const r = helper({ privilege: unprivileged, launch: () => (launched++, undefined as never) });
    expect(r.start()).toBe('unprivileged');
    expect(r.reason).toBe('test: no CAP_NET_RAW');
    const err = await r.open({ protocol: 'icmp', family: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RawHelperUnavailableError);
    expect(err).toMatchObject({ status: 'unprivileged', message: 'test: no CAP_NET_RAW' });
    expect(launched).toBe(0);
  });

  const withPkexec = (body: string | null): RawHelperOptions => {
    const pathEnv = body === null ? mkdtempSync(join(dir, 'empty-')) : pkexecDir(body);
    return { privilege: unprivileged, elevation: (node, args) => elevationPlan({ node, args, pathEnv, platform: 'linux' }) };
  };

  it('elevate(): pkexec dismissed (126) → declined', async () => {
    const r = helper(withPkexec('sleep 0.2; echo "Error executing command as another user: Request dismissed" >&2; exit 126'));
    const elevated = r.elevate();
    // Asked while the prompt is up: it waits, then learns why it cannot be done.
    const queued = r.open({ protocol: 'icmp', family: 4 }).catch((e: unknown) => e);
    expect(r.status()).toBe('starting');
    expect(await elevated).toBe('declined');
    expect(await queued).toMatchObject({ name: 'RawHelperUnavailableError', status: 'declined' });
    expect(r.reason).toMatch(/dismissed/);
    expect(r.reason).toMatch(/TCP, UDP and Unix sockets work/);
    await expect(r.open({ protocol: 'icmp', family: 4 })).rejects.toMatchObject({ status: 'declined' });
  });

  it('elevate(): pkexec not authorized (127) → declined, with what pkexec said', async () => {
    const r = helper(withPkexec('echo "Error executing command as another user: Not authorized" >&2; exit 127'));
    expect(await r.elevate()).toBe('declined');
    expect(r.reason).toMatch(/Not authorized/);
  });

  it('elevate(): nobody answers the prompt in time → declined, and the prompt is taken away', async () => {
    const r = helper({ ...withPkexec('exec sleep 30'), elevateTimeoutMs: 300 });
    expect(await r.elevate()).toBe('declined');
    expect(r.reason).toMatch(/No answer to the authentication prompt within 0 s/);
    expect(r.pid).toBeUndefined();
  });

  it('elevate(): pkexec missing → unprivileged, saying how to grant the capability instead', async () => {
    const r = helper(withPkexec(null));
    expect(await r.elevate()).toBe('unprivileged');
    expect(r.reason).toBe(`pkexec is not installed: run Sockbench's helper as root or grant CAP_NET_RAW with \`setcap cap_net_raw+ep ${process.execPath}\``);
  });

  it('elevate(): pkexec allows → the helper runs through it; if it dies, no new prompt: unprivileged until elevated again', async () => {
    const r = helper(withPkexec('exec "$@"'));
    const twice = [r.elevate(), r.elevate()];
    expect(twice[0]).toBe(twice[1]); // one prompt, however often it is asked for
    expect(await twice[0]).toBe('ready');
    expect(r.reason).toMatch(/elevated/);
    await pingOnce(r, 0x4300 + (process.pid & 0xff));
    const died = next(r, 'died');
    process.kill(r.pid!, 'SIGKILL');
    await died;
    expect(r.status()).toBe('unprivileged');
    expect(r.reason).toMatch(/SIGKILL.*Elevate again/);
    expect(r.pid).toBeUndefined();
  });
});
