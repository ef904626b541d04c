// Test support for main/raw: echo requests built by hand (so these tests do
// not depend on shared/packet), and the helper driven over its real pipes.
// Every wait is bounded by time.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawHelper, type RawHelperOptions } from './raw-helper.js';
import { FrameReader, decodePayload, frameOf } from './framing.js';
import { fromRawHelper, type ProbeTransport } from './probe-transport.js';
import { MAX_FRAME, type HelperEvent, type Reply } from './helper-protocol.js';

export const helperEntry = fileURLToPath(new URL('./helper-main.ts', import.meta.url));
export const tsxArgv = ['--import', 'tsx'];

/**
 * The real helper from sources, started, and the probe transport over it (for
 * probes run as the app runs them). Unsandboxed: run from sources, the helper
 * is compiled by tsx, which on a cold cache spawns esbuild, and Node's
 * permission model refuses that (ERR_ACCESS_DENIED): the helper would die at
 * start. The bundled helper the app runs has no such step; the sandbox has its
 * own tests (client.test.ts).
 */
export function startSourceHelper(more: RawHelperOptions = {}): { helper: RawHelper; transport: ProbeTransport } {
  const helper = new RawHelper({ entry: helperEntry, execArgv: tsxArgv, sandbox: false, ...more });
  helper.start();
  return { helper, transport: fromRawHelper(helper) };
}

/** The Internet checksum (RFC 1071). */
export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An ICMP (v4: type 8, checksum filled in) or ICMPv6 (type 128, checksum left to the kernel) echo request. */
export function echoRequest(family: 4 | 6, id: number, seq: number, payload = new TextEncoder().encode('sockbench raw helper test')): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  const v = new DataView(b.buffer);
  b[0] = family === 4 ? 8 : 128;
  v.setUint16(4, id);
  v.setUint16(6, seq);
  b.set(payload, 8);
  if (family === 4) v.setUint16(2, inetChecksum(b));
  return b;
}

export type Message = Reply | HelperEvent;

/** The helper as a child with pipes, spoken to in raw frames. */
export class HelperPipe {
  readonly messages: Message[] = [];
  readonly proc: ChildProcess;
  private readonly waiters = new Set<() => void>();
  stderr = '';

  constructor(command = process.execPath, args = [...tsxArgv, helperEntry]) {
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = new FrameReader(MAX_FRAME);
    this.proc.stdout!.on('data', (d: Buffer) => {
      for (const c of reader.push(d)) if ('frame' in c) this.messages.push(decodePayload(c.frame, 1 << 20) as Message);
      for (const w of this.waiters) w();
    });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += String(d)));
    this.proc.stdin!.on('error', () => {});
  }

  write(bytes: Uint8Array): void {
    this.proc.stdin!.write(bytes);
  }

  request(rid: number, op: string, args: unknown): void {
    this.write(frameOf({ rid, op, args }));
  }

  /** The first message (from `from` on) that `pick` accepts. */
  wait<T extends Message>(pick: (m: Message) => boolean, ms = 5000, from = 0): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.messages.slice(from).find(pick);
        if (!m) return false;
        done();
        resolve(m as T);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching message within ${ms} ms; got ${JSON.stringify(this.messages.slice(-5), (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))}; stderr: ${this.stderr}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves once `cond` holds (checked once per chunk received). */
  until(cond: () => boolean, ms = 5000): Promise<void> {
    return this.wait(() => true, ms, 0).then(() => new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!cond()) return false;
        done();
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`condition not met within ${ms} ms; stderr: ${this.stderr}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    }));
  }

  reply(rid: number, ms = 5000): Promise<Reply> {
    return this.wait<Reply>((m) => 'rid' in m && m.rid === rid, ms);
  }

  /** Ends stdin and waits for the exit (SIGKILL after `ms`). */
  async close(ms = 3000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    const exited = new Promise<number | null>((r) => this.proc.once('exit', (code) => r(code)));
    this.proc.stdin!.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), ms);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
