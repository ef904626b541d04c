// Runs one ping or traceroute through the real raw-socket helper and prints
// the result as one JSON line: how tests run probes inside a network
// namespace (`ip netns exec <ns> node --import tsx probe-run.fixture.ts '<spec>'`),
// the helper being started from here inherits the namespace.
//   spec: { "kind": "ping" | "traceroute", "options": { … } }
import { spawnLauncher } from './launcher.js';
import { Ping, type PingOptions } from './ping.js';
import { startSourceHelper } from './testkit.js';
import { Traceroute, type TracerouteOptions } from './traceroute.js';

type Spec = { kind: 'ping'; options: PingOptions } | { kind: 'traceroute'; options: TracerouteOptions };

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
// The helper's stderr goes to ours when it exits (the test shows it on failure).
const { helper, transport } = startSourceHelper({
  launch: (command, args) => {
    const ch = spawnLauncher(command, args);
    ch.onExit((code, signal) => {
      const tail = ch.stderrTail().trim();
      if (code !== 0 || tail) process.stderr.write(`raw helper exited (${signal ?? code})${tail ? `:\n${tail}` : ''}\n`);
    });
    return ch;
  },
});
// A hard bound, whatever happens below.
const guard = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: 'probe-run: gave up after 60 s' })}\n`);
  process.exit(3);
}, 60_000);
let out: unknown;
try {
  const result = spec.kind === 'ping' ? await new Ping(transport, spec.options).start() : await new Traceroute(transport, spec.options).start();
  out = { ok: true, result };
} catch (e) {
  out = { ok: false, error: String((e as Error)?.stack ?? e) };
} finally {
  await helper.stop();
  clearTimeout(guard);
}
process.stdout.write(`${JSON.stringify(out)}\n`);
