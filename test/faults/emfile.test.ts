// Fault injection (issue 16, items 2 and 7): a workbench under
// `ulimit -n 256` (prlimit on its process) runs out of descriptors. Every
// call that needs one fails with a typed EMFILE naming its syscall (socket(),
// the kernel's capabilities, the raw helper's start); connections that arrive
// meanwhile wait in the kernel's accept queue, the listener's trace and
// `pending` say so, and they are accepted, not lost, once descriptors free up.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/engine-harness.js';

const fixture = fileURLToPath(new URL('./emfile.fixture.ts', import.meta.url));
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const clients: net.Socket[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

describe.skipIf(!hasPrlimit)(`the open-files limit (ulimit -n 256)${hasPrlimit ? '' : ' (skipped: no prlimit)'}`, () => {
  it('EMFILE is typed and named everywhere, and connections wait in the kernel instead of vanishing', { timeout: 60_000 }, async () => {
    const proc = spawn('prlimit', ['--nofile=256:256', '--', process.execPath, '--import', 'tsx', fixture], { stdio: ['pipe', 'pipe', 'pipe'] });
    const said: Record<string, unknown>[] = [];
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += String(d);
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) if (l) said.push(JSON.parse(l) as Record<string, unknown>);
    });
    proc.stderr.on('data', (d: Buffer) => (err += String(d)));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const step = (name: string) => until(() => said.find((m) => m.step === name), `step ${name} (stderr: ${err.slice(-500)})`, 30_000);
    try {
      const { port } = (await step('listening')) as { port: number };
      const full = (await step('full')) as Record<string, { code: string; message: string; errno?: { name: string } }>;
      expect(full.createError).toMatchObject({ code: 'OS_ERROR', errno: { name: 'EMFILE' }, message: expect.stringMatching(/^socket: EMFILE \(24\)/) });
      // Not "not supported by this system": the kernel could not be asked.
      expect(full.capsError).toMatchObject({ code: 'OS_ERROR', errno: { name: 'EMFILE' }, message: expect.stringMatching(/could not be asked/) });
      expect(full.pingError).toMatchObject({ code: 'OS_ERROR', errno: { name: 'EMFILE' }, message: expect.stringMatching(/raw-socket helper could not be started/) });
      expect(full.pingError!.message).not.toMatch(/Cannot read properties/);

      // Five peers connect while the workbench has no descriptor for them.
      const ended: number[] = [];
      for (let i = 0; i < 5; i++) {
        const c = net.connect(port, '127.0.0.1');
        clients.push(c);
        await new Promise<void>((r, j) => c.once('connect', () => r()).once('error', j));
        c.on('end', () => ended.push(i));
        c.write(`hello ${i}`);
      }
      proc.stdin.write('connected\n');
      const starved = (await step('starved')) as { trace: string; pending: number; accepted: number };
      expect(starved.trace).toMatch(/^accept: EMFILE \(24\): .*wait in the kernel's accept queue/);
      expect(starved.pending).toBe(5);
      expect(starved.accepted).toBe(0);
      expect(ended).toEqual([]); // none was accepted and closed behind the user's back

      const accepted = (await step('accepted')) as { accepted: number; trace: string[] };
      expect(accepted.accepted).toBe(5);
      expect(accepted.trace.some((t) => /descriptors are free again/.test(t))).toBe(true);
      // Each peer's bytes were kept in the kernel and come back (the listener echoes).
      await Promise.all(clients.map((c, i) => new Promise<void>((resolve) => {
        let got = '';
        c.on('data', (d: Buffer) => {
          got += String(d);
          if (got === `hello ${i}`) resolve();
        });
      })));
      proc.stdin.write('echoed\n');
      const recovered = (await step('recovered')) as { tcp: { available: boolean }; ping: unknown };
      expect(recovered.tcp.available).toBe(true);
      if (recovered.ping !== 'unprivileged') expect(recovered.ping).toBeNull(); // ping starts again
      expect(await exited).toBe(0);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
