// The workspace store against real files: every broken file is named with
// its line and field while the others still load; rewrites keep comments and
// key order; a file changed on disk is a conflict, never overwritten; outside
// edits are announced; saves survive kill -9 mid-write.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../test/support/engine-harness.js';
import { parseSavedData } from '../../shared/contract/workspace.js';
import { revOf, Workspace } from './workspace.js';

const dirs: string[] = [];
const open: Workspace[] = [];
function fresh(onChange?: (kinds: string[]) => void): { ws: Workspace; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sockbench-ws-'));
  dirs.push(dir);
  const ws = new Workspace(dir, onChange ? { onChange } : {});
  open.push(ws);
  return { ws, dir };
}
afterEach(() => {
  for (const ws of open.splice(0)) ws.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const hello = { name: 'Hello', protocol: 'tcp' as const, target: '127.0.0.1:7', data: 'hello\\r\\n' };

describe('workspace files', () => {
  it('creates the layout: workspace.yaml with its format, and packets/', () => {
    const { dir } = fresh();
    expect(readFileSync(join(dir, 'workspace.yaml'), 'utf8')).toMatch(/^format: 1$/m);
    expect(existsSync(join(dir, 'packets'))).toBe(true);
  });

  it('names each broken file with line and field, and still loads the others', () => {
    const { ws, dir } = fresh();
    expect(ws.save('packets', hello).ok).toBe(true);
    const p = (n: string) => join(dir, 'packets', n);
    writeFileSync(p('malformed.yaml'), 'name: Broken\nprotocol: tcp\nname: Twice\n');
    writeFileSync(p('wrong-type.yaml'), 'name: Wrong\nprotocol: udp\ntarget: 127.0.0.1:9\nrepeat:\n  count: three\n');
    writeFileSync(p('latin1.yaml'), Buffer.concat([Buffer.from('name: Caf'), Buffer.from([0xe9]), Buffer.from('\nprotocol: tcp\n')]));
    writeFileSync(p('bad-data.yaml'), 'name: Escapes\nprotocol: tcp\ntarget: 127.0.0.1:7\ndata: "a\\\\q"\n');
    writeFileSync(p('unknown-key.yaml'), 'name: Extra\nprotocol: tcp\ntarget: 127.0.0.1:7\ncolour: red\n');
    const { entries, problems } = ws.list('packets');
    expect(entries.map((e) => e.value.name)).toEqual(['Hello']);
    const byFile = Object.fromEntries(problems.map((x) => [x.file, x]));
    expect(byFile['packets/malformed.yaml']).toMatchObject({ line: 3, message: expect.stringMatching(/^not valid YAML: Map keys must be unique/) });
    expect(byFile['packets/wrong-type.yaml']).toMatchObject({ line: 5, field: 'repeat.count', message: 'repeat.count must be a number' });
    expect(byFile['packets/latin1.yaml']).toMatchObject({ line: 1, column: 10, message: expect.stringMatching(/not UTF-8 text: byte 0xe9 at line 1, column 10/) });
    expect(byFile['packets/bad-data.yaml']).toMatchObject({ line: 4, field: 'data', message: expect.stringMatching(/unknown escape "\\q"/) });
    expect(byFile['packets/unknown-key.yaml']).toMatchObject({ line: 4, field: 'colour', message: expect.stringMatching(/unknown key "colour"/) });
    // Nothing was rewritten or removed.
    expect(readdirSync(join(dir, 'packets')).sort()).toEqual(['bad-data.yaml', 'hello.yaml', 'latin1.yaml', 'malformed.yaml', 'unknown-key.yaml', 'wrong-type.yaml']);
  });

  it('a workspace of a newer format is left untouched: a clear error naming workspace.yaml, no writes', () => {
    const { dir } = fresh();
    writeFileSync(join(dir, 'packets', 'kept.yaml'), 'name: Kept\nprotocol: tcp\ntarget: 127.0.0.1:7\n');
    writeFileSync(join(dir, 'workspace.yaml'), '# from the future\nformat: 2\n');
    const before = readFileSync(join(dir, 'packets', 'kept.yaml'));
    const ws = new Workspace(dir);
    open.push(ws);
    expect(ws.info().readOnly).toMatch(/^workspace\.yaml: format 2 is newer than this Sockbench reads \(1\)/);
    expect(ws.list('packets').problems).toEqual([expect.objectContaining({ file: 'workspace.yaml', field: 'format', line: 2 })]);
    expect(() => ws.save('packets', hello)).toThrow(/format 2 is newer/);
    expect(readFileSync(join(dir, 'packets', 'kept.yaml'))).toEqual(before);
    expect(readFileSync(join(dir, 'workspace.yaml'), 'utf8')).toBe('# from the future\nformat: 2\n');
  });

  it('a rewrite keeps the comments and the key order a person gave the file', () => {
    const { ws, dir } = fresh();
    const path = join(dir, 'packets', 'mine.yaml');
    writeFileSync(path, '# The health check our load balancer sends\ntarget: 127.0.0.1:8080 # staging\nname: Health\nprotocol: tcp\n# what it says\ndata: "GET /health\\r\\n"\ntags: [lb, staging]\n');
    const e = ws.list('packets').entries[0]!;
    const r = ws.save('packets', { ...e.value, data: 'GET /healthz\\r\\n', tags: ['lb'] }, { file: e.file, rev: e.rev });
    expect(r.ok).toBe(true);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('# The health check our load balancer sends');
    expect(text).toContain('# staging');
    expect(text).toContain('# what it says');
    expect(text.indexOf('target:')).toBeLessThan(text.indexOf('name:'));
    expect(ws.list('packets').entries[0]!.value).toMatchObject({ data: 'GET /healthz\\r\\n', tags: ['lb'] });
  });

  it('a file changed on disk since it was read is a conflict: nothing is clobbered, and both can be kept', () => {
    const { ws, dir } = fresh();
    const first = ws.save('packets', hello);
    if (!first.ok) throw new Error('first save');
    const path = join(dir, 'packets', first.file);
    // Someone else (an editor, git pull) changes the file.
    const theirs = readFileSync(path, 'utf8').replace('hello\\r\\n', 'theirs');
    writeFileSync(path, theirs);
    const r = ws.save('packets', { ...hello, data: 'mine' }, { file: first.file, rev: first.rev });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.conflict).toMatchObject({ file: 'hello.yaml', diskText: theirs, diskRev: revOf(Buffer.from(theirs)), diskPacket: { data: 'theirs' } });
    expect(readFileSync(path, 'utf8')).toBe(theirs);
    // Keep both: ours under another name; theirs stays as it is.
    const both = ws.save('packets', { ...hello, name: 'Hello (mine)', data: 'mine' });
    expect(both).toMatchObject({ ok: true, file: 'hello-mine.yaml' });
    // Keep ours: a save against the rev the conflict showed.
    expect(ws.save('packets', { ...hello, data: 'mine' }, { file: 'hello.yaml', rev: r.conflict.diskRev }).ok).toBe(true);
    expect(ws.list('packets').entries.map((e) => [e.file, e.value.data])).toEqual([['hello-mine.yaml', 'mine'], ['hello.yaml', 'mine']]);
    // A delete of a changed file is a conflict too; a stale create as well.
    writeFileSync(path, theirs.replace('theirs', 'theirs again'));
    expect(ws.remove('packets', 'hello.yaml', r.conflict.diskRev!).ok).toBe(false);
    expect(ws.save('packets', { ...hello, name: 'Other' }, { file: 'hello.yaml', rev: null }).ok).toBe(false);
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a second packet of the same name, naming the file that has it', () => {
    const { ws } = fresh();
    ws.save('packets', hello);
    expect(() => ws.save('packets', { ...hello, data: 'x' })).toThrow('a packet named "Hello" already exists (packets/hello.yaml)');
  });

  it('renaming moves the file to the new name', () => {
    const { ws, dir } = fresh();
    const r = ws.save('packets', hello);
    if (!r.ok) throw new Error('save');
    expect(ws.save('packets', { ...hello, name: 'Greeting' }, { file: r.file, rev: r.rev })).toMatchObject({ ok: true, file: 'greeting.yaml' });
    expect(readdirSync(join(dir, 'packets'))).toEqual(['greeting.yaml']);
  });

  it('an edit made outside the app is announced within the debounce', async () => {
    const seen: string[][] = [];
    const { dir } = fresh((k) => seen.push(k));
    writeFileSync(join(dir, 'packets', 'outside.yaml'), 'name: Outside\nprotocol: udp\ntarget: 127.0.0.1:9\n');
    await until(() => seen.some((k) => k.includes('packets')), 'a workspace change event', 3000);
    const n = seen.length;
    writeFileSync(join(dir, 'packets', 'outside.yaml'), 'name: Outside\nprotocol: udp\ntarget: 127.0.0.1:10\n');
    await until(() => seen.length > n, 'a second change event', 3000);
  });
});

describe('the documented format', () => {
  it('the commented examples in docs/WORKSPACE.md read as saved packets, with the bytes they say', () => {
    const { ws, dir } = fresh();
    const doc = readFileSync(new URL('../../docs/WORKSPACE.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBe(3);
    blocks.forEach((b, i) => writeFileSync(join(dir, 'packets', `example-${i}.yaml`), b));
    const { entries, problems } = ws.list('packets');
    expect(problems).toEqual([]);
    const health = entries.find((e) => e.value.name === 'Health check')!.value;
    expect(health).toMatchObject({ protocol: 'tcp', target: '127.0.0.1:8080', bind: '127.0.0.1:0', repeat: { count: 3, intervalMs: 500 }, tags: ['lb', 'staging'] });
    const data = parseSavedData(health.data!, health.encoding);
    expect(data.ok && Buffer.from(data.bytes).toString()).toBe('GET /health HTTP/1.0\r\n\r\n');
    expect(entries.find((e) => e.value.name === 'SYN to 80')!.value).toMatchObject({ protocol: 'raw', layers: ['ipv4 dst=127.0.0.1 / tcp dport=80 flags=S,E,C / payload "x"'] });
    expect(entries.find((e) => e.value.name === 'Secure hello')!.value).toMatchObject({ protocol: 'tls', target: 'localhost:8443', data: 'hello\n', tls: { ca: '/home/me/ca.pem', alpn: ['http/1.1'] } });
  });
});

describe('atomic saves', () => {
  it('a writer killed with SIGKILL mid-save leaves the old file or the new one, never part of one (20 kills)', async () => {
    const { dir } = fresh();
    const path = join(dir, 'packets', 'big.yaml');
    const size = 4 * 1024 * 1024;
    const whole = new Set(['a', 'b'].map((c) => `name: version ${c}\nprotocol: tcp\ntarget: 127.0.0.1:7\ndata: ${c.repeat(size)}\n`));
    const fixture = fileURLToPath(new URL('./atomic-writer.fixture.ts', import.meta.url));
    for (let round = 0; round < 20; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, path, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      });
      // Somewhere inside a save: each takes a few ms for 4 MiB.
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 60));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const text = readFileSync(path, 'utf8');
      expect(whole.has(text), `round ${round}: the file is ${text.length} bytes and not one whole version`).toBe(true);
    }
    // Leftover temporaries are hidden (the list ignores them) and swept on a later open.
    const ws = new Workspace(dir);
    open.push(ws);
    expect(ws.list('packets').entries.map((e) => e.file)).toEqual(['big.yaml']);
  }, 120_000);
});
