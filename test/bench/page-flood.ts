// The page under a flood, as a user meets it: Debian's Chromium (headless,
// 1440×900) on browser mode (`node dist/serve.cjs`, its own process), one
// session selected with its data log open and following, and the flood
// coming from another process: UDP 64-byte datagrams at a steady rate
// (test/support/udp-flood.ts) or a TCP stream at full speed (socat from /dev/zero).
// Measured: frame gaps (requestAnimationFrame), clicks in the session list
// and in a form (pointerdown → the DOM showing the answer), the JS heap after
// gc() at 5 s and at the end (15 s), main's RSS, and whether the page's counters equal the
// session's and the session's equal what the kernel delivered.
//
// Run alone: `npm run build && node --import tsx test/bench/page-flood.ts [load…]`;
// SOCKBENCH_PROFILE=1 also records Chromium's CPU profile (CDP) and main's
// (--cpu-prof) and prints where the time went; the page's profile and a 2 s
// trace stay in test-results/page-profile/LOAD/ (SOCKBENCH_TRACE_EXTRA: more
// trace categories, comma-separated, e.g. disabled-by-default-devtools.timeline.invalidationTracking).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { Client } from '../../shared/contract/bridge-client.js';
import type { SessionInfo } from '../../shared/contract/index.js';
import { launch, serve } from '../support/browser.js';
import { freePort, hasTool } from '../support/peers.js';
import { procUdpDrops, startUdpFlood } from '../support/udp-flood.js';
import { connectBridge } from '../support/ws-client.js';
import { percentile, sleep } from './stats.js';

export type PageLoad = 'idle' | 'udp-10k' | 'udp-50k' | 'tcp';
export const PAGE_LOADS: readonly PageLoad[] = ['idle', 'udp-10k', 'udp-50k', 'tcp'];

/** SOCKBENCH_PAGE_SECONDS: a longer flood, to see where memory settles (the heap's second sample is at its end). */
const FLOOD_MS = 1000 * Number(process.env.SOCKBENCH_PAGE_SECONDS ?? 15);
const HEAP_AT_MS = [5_000, FLOOD_MS] as const;
/** From here, CLICK_PAIRS times (every 1.75 s): a list click away, one back, a form click. */
const CLICKS_FROM_MS = 6_000;
const CLICK_EVERY_MS = 1_000;
const CLICK_PAIRS = 4;
const SETTLE_MS = 20_000;
const UDP_BYTES = 64;

export interface PageFigures {
  load: PageLoad;
  what: string;
  profiled: boolean;
  frames: { n: number; fps: number; p50Ms: number; p99Ms: number; maxMs: number; excludedForGc: number; overMs: { 40: number; 60: number }; over40AfterClick: number };
  /** ms from pointerdown to the DOM showing the answer; null: not answered within 5 s. */
  listClicksMs: (number | null)[];
  formClicksMs: (number | null)[];
  /** When the two samples were taken (s after the flood began; late when clicks were slow). */
  heapMiB: { at5s: number; atEnd: number; changePct: number; takenAtS: [number, number] };
  /** Main's RSS at the heap samples' times, its peak, every 5 s, and its change from the 10th second to the end. */
  rssMiB: { at5s: number; atEnd: number; peak: number; changePct: number; every5s: number[] };
  /** What the other process sent (UDP) or wrote (TCP). */
  sender: { sent: number; seconds: number; unit: 'datagrams' | 'bytes' } | null;
  session: { bytesIn: number; chunksIn: number; kernelDropped: number | null; kernelDroppedField: number | null };
  page: { bytesIn: number; chunksIn: number; held: number; evicted: number; skippedChunks: number; skippedShown: boolean };
  /** The session's counter = what the kernel delivered (UDP: sent − the socket's drops; TCP: bytes socat wrote). */
  sessionExact: boolean | null;
  pageEqualsSession: boolean;
  /** Every chunk the session received is in the page's log (held or scrolled out of its ring) or counted as skipped. */
  accounted: boolean;
  /** ms after the flood ended until the page's counters equalled the session's. */
  catchUpMs: number | null;
  /**
   * CPU time used during the flood, as % of one core: Chromium's renderer
   * (the page), its other processes (browser, GPU, network), and main.
   * Less noisy than the timings on a loaded machine.
   */
  cpuPct: { page: number; chromiumOther: number; main: number };
  /** The renderer's main thread during the flood (Chromium's Performance metrics), % of the time: busy in all, and in script, layout and style. */
  pageThread: { busy: number; script: number; layout: number; style: number };
  profile?: { page: string[]; trace: string[]; main: string[] };
}

interface BenchWindow {
  __bench: { frames: number[]; gcs: [number, number][]; clicksAt: number[]; stop: boolean; click?: Promise<number> };
  gc(): void;
}

const tid = (id: string) => `[data-testid=${id}]`;

function tcpListening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1]?.endsWith(`:${hex}`) && f[3] === '0A';
  });
}

/**
 * What the peer on `port` has delivered: the kernel's count of bytes the
 * receiver acknowledged (TCP_INFO's bytes_acked, through `ss`), and whether
 * anything is still in its send queue.
 */
function tcpDelivered(port: number): { acked: number; queued: number } | null {
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  const acked = /bytes_acked:(\d+)/.exec(out);
  const queued = /^\s*\d+\s+(\d+)/.exec(out);
  return acked && queued ? { acked: Number(acked[1]), queued: Number(queued[1]) } : null;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz on Linux)
}

/** CPU seconds of Chromium's renderer and of its other processes (SystemInfo.getProcessInfo). */
/** Seconds the page's main thread has spent in tasks, script, layout and style (cumulative). */
async function threadTimes(cdp: CDPSession): Promise<{ busy: number; script: number; layout: number; style: number }> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = (name: string) => metrics.find((x) => x.name === name)?.value ?? NaN;
  return { busy: m('TaskDuration'), script: m('ScriptDuration'), layout: m('LayoutDuration'), style: m('RecalcStyleDuration') };
}

async function chromiumCpu(cdp: CDPSession): Promise<{ page: number; other: number }> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; cpuTime: number }[] };
  let page = 0;
  let other = 0;
  for (const p of processInfo) {
    if (p.type === 'renderer') page += p.cpuTime;
    else other += p.cpuTime;
  }
  return { page, other };
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s*(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The top entries of a V8 CPU profile by self time: "12.3 % fn (file:line)". */
export function topSelf(profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples?: number[]; timeDeltas?: number[] }, n = 25): string[] {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const t = self.get(node.id) ?? 0;
    total += t;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} (${url.split('/').pop() || '-'}:${lineNumber + 1})`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
  }
  return [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)} % ${k}`);
}

type TraceEvent = { ph: string; name: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string } };

/** Self time per event name on the page's main thread (CrRendererMain) of a Chromium trace: "12.3 % Layout". */
export function topTraceSelf(trace: { traceEvents: TraceEvent[] }, n = 15): string[] {
  const main = trace.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  if (!main) return ['(no renderer main thread in the trace)'];
  const events = trace.traceEvents
    .filter((e) => e.ph === 'X' && e.pid === main.pid && e.tid === main.tid && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const self = new Map<string, number>();
  const stack: { end: number; name: string; child: number; dur: number }[] = [];
  const close = (upTo: number) => {
    while (stack.length && stack[stack.length - 1]!.end <= upTo) {
      const e = stack.pop()!;
      self.set(e.name, (self.get(e.name) ?? 0) + e.dur - e.child);
    }
  };
  for (const e of events) {
    close(e.ts);
    if (stack.length) stack[stack.length - 1]!.child += e.dur!;
    stack.push({ end: e.ts + e.dur!, name: e.name, child: 0, dur: e.dur! });
  }
  close(Infinity);
  const span = events.length ? (events[events.length - 1]!.ts + events[events.length - 1]!.dur! - events[0]!.ts) : 1;
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `${((100 * t) / span).toFixed(1).padStart(5)} % of the time: ${k}`);
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined | null | false>): Promise<T | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await probe();
    if (v) return v;
    await sleep(50);
  }
  console.error(`  page bench: gave up waiting for ${what} after ${ms} ms`);
  return null;
}

async function sessionInfo(api: Client, id: number): Promise<SessionInfo> {
  const s = (await api.call('session.list', {})).sessions.find((x) => x.id === id);
  if (!s) throw new Error(`session ${id} is gone`);
  return s;
}

async function udpSession(api: Client): Promise<{ id: number; port: number }> {
  const s = await api.call('socket.create', { family: 'AF_INET', type: 'SOCK_DGRAM' });
  const b = await api.call('socket.bind', { id: s.id, address: '127.0.0.1', port: 0 });
  return { id: s.id, port: b.local!.port };
}

/** Reads the page's counters and log accounting from the DOM. */
async function pageCounters(page: Page): Promise<PageFigures['page']> {
  return page.evaluate((t) => {
    const q = (id: string) => document.querySelector(`[data-testid=${id}]`);
    const num = (id: string, attr: string) => Number(q(id)?.getAttribute(attr) ?? 0);
    return {
      bytesIn: num(t.in, 'data-bytes'),
      chunksIn: num(t.in, 'data-chunks'),
      held: num(t.count, 'data-n'),
      evicted: num(t.evicted, 'data-n'),
      skippedChunks: num(t.dropped, 'data-chunks'),
      skippedShown: (q(t.dropped)?.textContent ?? '').trim().length > 0,
    };
  }, { in: 'session-bytes-in', count: 'log-count', evicted: 'log-evicted', dropped: 'log-dropped' });
}

/** Arms a click measurement: resolves with ms from the next pointerdown until `check` holds in the DOM. */
async function armClick(page: Page, kind: 'selected' | 'timeout', expected: string): Promise<void> {
  await page.evaluate(({ kind, expected }) => {
    const w = window as unknown as BenchWindow;
    w.__bench.click = new Promise<number>((resolve) => {
      let downAt: number | null = null;
      const check = (): boolean =>
        kind === 'selected'
          ? document.querySelector('[data-testid=session-summary]')?.getAttribute('data-session-id') === expected
          : document.querySelector('[data-testid=session-timeout]')?.textContent?.trim() === expected;
      addEventListener('pointerdown', (e) => {
        downAt = e.timeStamp;
        (window as unknown as BenchWindow).__bench?.clicksAt.push(e.timeStamp);
      }, { capture: true, once: true });
      const mo = new MutationObserver(() => {
        if (downAt !== null && check()) {
          mo.disconnect();
          resolve(performance.now() - downAt);
        }
      });
      mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  }, { kind, expected });
}

async function clickAnswered(page: Page, selector: string, kind: 'selected' | 'timeout', expected: string): Promise<number | null> {
  await armClick(page, kind, expected);
  try {
    await page.locator(selector).click({ timeout: 10_000 });
  } catch (e) {
    console.error(`  page bench: the click on ${selector} did not happen within 10 s: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
  return page.evaluate(() => Promise.race([(window as unknown as BenchWindow).__bench.click!, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]));
}

async function heapAfterGc(page: Page, cdp: CDPSession): Promise<number> {
  await page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    const a = performance.now();
    w.gc();
    w.gc();
    w.__bench.gcs.push([a, performance.now()]);
  });
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize / 1024 / 1024;
}

export async function pageFlood(load: PageLoad, opts: { profile?: boolean } = {}): Promise<PageFigures> {
  const profileDir = `test-results/page-profile/${load}`;
  if (opts.profile) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  // SOCKBENCH_SERVE: another build's serve.cjs (e.g. an earlier commit's, to compare in the same minutes).
  const serveJs = process.env.SOCKBENCH_SERVE ?? 'dist/serve.cjs';
  const serveCmd = [process.execPath, ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), serveJs, '--port', '0'];
  const server = await serve(serveCmd);
  const mainPid = server.proc.pid!;
  let browser: Browser | undefined;
  let socat: ChildProcess | undefined;
  let stopSender = (): void => undefined;
  try {
    browser = await launch(['--js-flags=--expose-gc']);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // tsx keeps function names with a helper the page does not have.
    await page.addInitScript('window.__name = (f) => f');
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=connection-status][data-state=open]');
    const cdp = await page.context().newCDPSession(page);

    // Sessions are made through a bridge connection of our own, closed before the flood
    // (each connection gets its own batcher in main, which would double main's work).
    let api = await connectBridge(server.url);
    const other = await udpSession(api);
    let target: { id: number; port: number };
    let tcpPort = 0;
    if (load === 'tcp') {
      if (!hasTool('socat')) throw new Error('socat not installed');
      tcpPort = await freePort();
      socat = spawn('socat', ['-u', 'OPEN:/dev/zero', `TCP-LISTEN:${tcpPort},bind=127.0.0.1,reuseaddr`], { stdio: 'ignore' });
      if (!(await until('socat to listen', 5_000, async () => tcpListening(tcpPort)))) throw new Error('socat did not listen');
      const s = await api.call('socket.create', { family: 'AF_INET', type: 'SOCK_STREAM' });
      target = { id: s.id, port: 0 };
    } else target = await udpSession(api);

    // Select the flooded session; its log opens, following.
    await page.locator(`${tid('session-item')}[data-session-id="${target.id}"]`).click();
    await page.waitForSelector(`${tid('session-summary')}[data-session-id="${target.id}"]`);
    await page.waitForSelector(`${tid('log-follow')}[aria-pressed=true]`);

    // Warm up what the clicks below use (both session views, the form's round trip), as a
    // person would have before: first-time costs are not what the heap figure is about.
    await page.evaluate(() => ((window as unknown as BenchWindow).__bench = { frames: [], gcs: [], clicksAt: [], stop: true }));
    // The setblocking buttons are in the "data" group of calls, closed by default.
    const closedData = page.locator(`${tid('group-toggle-data')}[aria-expanded=false]`);
    if (await closedData.count()) await closedData.click();
    for (const id of [other.id, target.id]) await clickAnswered(page, `${tid('session-item')}[data-session-id="${id}"]`, 'selected', String(id));
    await clickAnswered(page, tid('setblocking-false'), 'timeout', '0');
    await clickAnswered(page, tid('setblocking-true'), 'timeout', 'None');

    await page.evaluate(() => {
      const w = window as unknown as BenchWindow;
      w.__bench = { frames: [], gcs: [], clicksAt: [], stop: false };
      const loop = (t: number): void => {
        w.__bench.frames.push(t);
        if (!w.__bench.stop) requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
    });
    if (opts.profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }

    const rss: { t: number; mib: number }[] = [];
    const browserCdp = await browser.newBrowserCDPSession();
    await cdp.send('Performance.enable');
    const thread0 = await threadTimes(cdp);
    const cpu0 = { ...(await chromiumCpu(browserCdp)), main: cpuSeconds(mainPid) };
    const t0 = Date.now();
    const rssTimer = setInterval(() => rss.push({ t: Date.now() - t0, mib: rssMiB(mainPid) }), 250);
    const at = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));

    let senderDone: Promise<{ sent: number; seconds: number }> | undefined;
    if (load === 'udp-10k' || load === 'udp-50k') {
      const rate = load === 'udp-10k' ? 10_000 : 50_000;
      const flood = startUdpFlood({ port: target.port, rate, count: (rate * FLOOD_MS) / 1000, size: UDP_BYTES });
      stopSender = flood.stop;
      senderDone = flood.done;
    } else if (load === 'tcp') {
      await api.call('socket.connect', { id: target.id, address: '127.0.0.1', port: tcpPort });
    }
    api.close();

    const heaps: number[] = [];
    const heapTimes: number[] = [];
    const listClicks: (number | null)[] = [];
    const formClicks: (number | null)[] = [];
    // Profiling: 2 s of Chromium's trace (what the main thread spent its time on, rendering included).
    const TRACE_FILE = `${profileDir}/page-trace.json`;
    if (opts.profile) {
      await at(2_000);
      await browser.startTracing(page, { path: TRACE_FILE, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', ...(process.env.SOCKBENCH_TRACE_EXTRA?.split(',') ?? [])] });
      await at(4_000);
      await browser.stopTracing();
    }
    await at(HEAP_AT_MS[0]);
    heapTimes.push(Date.now() - t0);
    heaps.push(await heapAfterGc(page, cdp));
    // Away to the other session and back (two list clicks), then a form's round trip to main
    // (setblocking, flipping the timeout the summary shows), CLICK_PAIRS times.
    let blocking = true;
    const formClick = async () => {
      blocking = !blocking;
      formClicks.push(await clickAnswered(page, tid(blocking ? 'setblocking-true' : 'setblocking-false'), 'timeout', blocking ? 'None' : '0'));
    };
    for (let i = 0; i < CLICK_PAIRS; i++) {
      const from = CLICKS_FROM_MS + (i * 7 * CLICK_EVERY_MS) / 4;
      // Slow answers must not stretch the run: the clicks stop in time for the heap at the end.
      if (Date.now() - t0 > HEAP_AT_MS[1] - 2 * CLICK_EVERY_MS) break;
      await at(from);
      listClicks.push(await clickAnswered(page, `${tid('session-item')}[data-session-id="${other.id}"]`, 'selected', String(other.id)));
      await at(from + CLICK_EVERY_MS / 2);
      listClicks.push(await clickAnswered(page, `${tid('session-item')}[data-session-id="${target.id}"]`, 'selected', String(target.id)));
      await at(from + CLICK_EVERY_MS);
      await formClick();
    }
    await at(HEAP_AT_MS[1]);
    heapTimes.push(Date.now() - t0);
    heaps.push(await heapAfterGc(page, cdp));

    let profile: PageFigures['profile'];
    if (opts.profile) {
      const { profile: p } = await cdp.send('Profiler.stop');
      writeFileSync(`${profileDir}/page.cpuprofile`, JSON.stringify(p));
      profile = { page: topSelf(p), trace: topTraceSelf(JSON.parse(readFileSync(TRACE_FILE, 'utf8')) as { traceEvents: TraceEvent[] }), main: [] };
    }

    // End the flood: the UDP sender stops by itself at its count; socat is stopped and what it wrote read.
    let senderFigures: PageFigures['sender'] = null;
    if (senderDone) {
      const r = await senderDone;
      senderFigures = { sent: r.sent, seconds: r.seconds, unit: 'datagrams' };
    } else if (load === 'tcp' && socat) {
      // Stopped, socat's send queue drains into the session; then what it delivered is final.
      socat.kill('SIGSTOP');
      const seconds = (Date.now() - t0) / 1000;
      const delivered = await until('socat’s send queue to drain', SETTLE_MS, async () => {
        const d = tcpDelivered(tcpPort);
        return d && d.queued === 0 ? d : null;
      });
      senderFigures = { sent: delivered?.acked ?? NaN, seconds, unit: 'bytes' };
      socat.kill('SIGKILL');
    }
    const endAt = Date.now();
    const cpu1 = { ...(await chromiumCpu(browserCdp)), main: cpuSeconds(mainPid) };
    const thread1 = await threadTimes(cdp);
    const cpuPct = (a: number, b: number) => (100 * (b - a)) / ((endAt - t0) / 1000);
    const pageFrames = await page.evaluate(() => {
      const b = (window as unknown as BenchWindow).__bench;
      b.stop = true;
      return { frames: b.frames, gcs: b.gcs, clicksAt: b.clicksAt };
    });
    clearInterval(rssTimer);

    // Settle: the session's counters equal what was sent (or stop moving), then the page's equal the session's.
    api = await connectBridge(server.url);
    const dropsNow = () => (load === 'tcp' || load === 'idle' ? 0 : (procUdpDrops(target.port) ?? 0));
    let last = -1;
    let session = await sessionInfo(api, target.id);
    await until('the session to take in all the flood', SETTLE_MS, async () => {
      session = await sessionInfo(api, target.id);
      if (senderFigures === null) return true;
      // TCP: all is in once the session has seen the end of the stream.
      if (load === 'tcp') return session.state !== 'connected';
      const got = session.counters.chunksIn + dropsNow();
      if (got >= senderFigures.sent) return true;
      const still = got === last;
      last = got;
      return still && Date.now() - endAt > 3_000;
    });
    session = await sessionInfo(api, target.id);
    const settledAt = Date.now();
    // The counters and the log's accounting are drawn at the view clock's pace: both settle.
    const caughtUp = await until('the page to show the session’s counters', SETTLE_MS, async () => {
      const p = await pageCounters(page);
      const counted = p.held + p.evicted + p.skippedChunks === session.counters.chunksIn;
      return p.chunksIn === session.counters.chunksIn && p.bytesIn === session.counters.bytesIn && counted ? p : null;
    });
    const pageNow = caughtUp ?? (await pageCounters(page));
    api.close();
    if (pageErrors.length > 0) console.error(`  page errors: ${pageErrors.slice(0, 3).join(' | ')}`);

    // Frame gaps, leaving out the ones a forced gc() sat in.
    const f = pageFrames.frames;
    const gaps: number[] = [];
    let excluded = 0;
    let longAfterClick = 0;
    for (let i = 1; i < f.length; i++) {
      if (pageFrames.gcs.some(([a, b]) => a < f[i]! && b > f[i - 1]!)) excluded++;
      else {
        gaps.push(f[i]! - f[i - 1]!);
        if (f[i]! - f[i - 1]! > 40 && pageFrames.clicksAt.some((c) => c <= f[i]! && f[i]! - c < 500)) longAfterClick++;
      }
    }
    gaps.sort((a, b) => a - b);
    const spanS = (f[f.length - 1]! - f[0]!) / 1000;
    const rssAt = (ms: number) => rss.reduce((best, s) => (Math.abs(s.t - ms) < Math.abs(best.t - ms) ? s : best), rss[0]!).mib;
    const kernelDropped = load === 'udp-10k' || load === 'udp-50k' ? procUdpDrops(target.port) : null;
    const delivered = senderFigures === null ? null : load === 'tcp' ? senderFigures.sent : senderFigures.sent - (kernelDropped ?? 0);
    const got = load === 'tcp' ? session.counters.bytesIn : session.counters.chunksIn;

    if (opts.profile && profile) {
      await server.stop();
      const file = await until('main’s CPU profile', 10_000, async () => readdirSync(profileDir).find((n) => n.endsWith('.cpuprofile')));
      if (file) profile.main = topSelf(JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as Parameters<typeof topSelf>[0]);
    }

    return {
      load,
      what:
        load === 'idle' ? 'no flood'
          : load === 'tcp' ? 'TCP from `socat -u OPEN:/dev/zero TCP-LISTEN`, full speed'
            : `UDP ${UDP_BYTES} B at ${load === 'udp-10k' ? '10k' : '50k'}/s from another process`,
      profiled: !!opts.profile,
      frames: {
        n: gaps.length,
        fps: gaps.length / spanS,
        p50Ms: percentile(gaps, 50),
        p99Ms: percentile(gaps, 99),
        maxMs: gaps[gaps.length - 1] ?? NaN,
        excludedForGc: excluded,
        overMs: { 40: gaps.filter((g) => g > 40).length, 60: gaps.filter((g) => g > 60).length },
        over40AfterClick: longAfterClick,
      },
      listClicksMs: listClicks,
      formClicksMs: formClicks,
      heapMiB: { at5s: heaps[0]!, atEnd: heaps[1]!, changePct: (100 * (heaps[1]! - heaps[0]!)) / heaps[0]!, takenAtS: [heapTimes[0]! / 1000, heapTimes[1]! / 1000] },
      rssMiB: {
        at5s: rssAt(heapTimes[0]!),
        atEnd: rssAt(heapTimes[1]!),
        peak: Math.max(...rss.map((s) => s.mib)),
        // From the 10th second: the engine's ring and V8's heap have grown to their working size by then.
        changePct: (100 * (rssAt(heapTimes[1]!) - rssAt(10_000))) / rssAt(10_000),
        every5s: Array.from({ length: Math.floor(heapTimes[1]! / 5000) }, (_, i) => rssAt(5000 * (i + 1))),
      },
      sender: senderFigures,
      session: {
        bytesIn: session.counters.bytesIn,
        chunksIn: session.counters.chunksIn,
        kernelDropped,
        kernelDroppedField: session.counters.kernelDropped ?? null,
      },
      page: pageNow,
      sessionExact: delivered === null ? null : got === delivered,
      pageEqualsSession: pageNow.chunksIn === session.counters.chunksIn && pageNow.bytesIn === session.counters.bytesIn,
      accounted: pageNow.held + pageNow.evicted + pageNow.skippedChunks === session.counters.chunksIn,
      catchUpMs: caughtUp ? Math.max(0, Date.now() - settledAt) : null,
      pageThread: { busy: cpuPct(thread0.busy, thread1.busy), script: cpuPct(thread0.script, thread1.script), layout: cpuPct(thread0.layout, thread1.layout), style: cpuPct(thread0.style, thread1.style) },
      cpuPct: { page: cpuPct(cpu0.page, cpu1.page), chromiumOther: cpuPct(cpu0.other, cpu1.other), main: cpuPct(cpu0.main, cpu1.main) },
      profile,
    };
  } finally {
    if (socat && socat.exitCode === null) socat.kill('SIGKILL');
    stopSender();
    await browser?.close();
    if (server.proc.exitCode === null) await server.stop();
  }
}

const ms = (v: number | null) => (v === null ? 'unanswered' : `${v.toFixed(0)}`);
const clickText = (xs: (number | null)[]) => {
  const ok = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return `max ${xs.includes(null) ? 'unanswered' : ms(ok[ok.length - 1] ?? null)} ms (each: ${xs.map(ms).join(', ')})`;
};
const met = (ok: boolean | null) => (ok === null ? '—' : ok ? 'met' : 'NOT met');

/** The figures as rows (figure, value, target) for run.ts's table. */
export function pageRows(f: PageFigures): { figure: string; value: string; target: string }[] {
  const tag = `page, ${f.what}${f.profiled ? ' (profiled)' : ''}`;
  const worst = (xs: (number | null)[]) => Math.max(...xs.map((x) => x ?? Infinity));
  const skipped = f.page.skippedChunks;
  const rows = [
    { figure: `${tag}: frame gap`, value: `p99 ${f.frames.p99Ms.toFixed(0)} ms, max ${f.frames.maxMs.toFixed(0)} ms, median ${f.frames.p50Ms.toFixed(0)} ms, ${f.frames.fps.toFixed(0)} frames/s; ${f.frames.overMs[40]} of ${f.frames.n} gaps over 40 ms (${f.frames.over40AfterClick} within 0.5 s of a click), ${f.frames.overMs[60]} over 60 (${f.frames.excludedForGc} gaps holding a forced gc() left out)`, target: `p99 < 50 ms: ${met(f.frames.p99Ms < 50)}` },
    { figure: `${tag}: click in the session list → selection shown`, value: clickText(f.listClicksMs), target: `< 100 ms: ${met(worst(f.listClicksMs) < 100)}` },
    { figure: `${tag}: click in a form (setblocking) → answer shown`, value: clickText(f.formClicksMs), target: `< 100 ms: ${met(worst(f.formClicksMs) < 100)}` },
    { figure: `${tag}: JS heap after gc()`, value: `${f.heapMiB.at5s.toFixed(1)} MiB at ${f.heapMiB.takenAtS[0].toFixed(0)} s → ${f.heapMiB.atEnd.toFixed(1)} MiB at ${f.heapMiB.takenAtS[1].toFixed(0)} s (${f.heapMiB.changePct >= 0 ? '+' : ''}${f.heapMiB.changePct.toFixed(0)} %)`, target: `within ±20 %: ${met(Math.abs(f.heapMiB.changePct) <= 20)}` },
    { figure: `${tag}: CPU used`, value: `page (renderer) ${f.cpuPct.page.toFixed(0)} % (${((10 * f.cpuPct.page) / f.frames.fps).toFixed(1)} ms per frame drawn), Chromium's other processes ${f.cpuPct.chromiumOther.toFixed(0)} %, main ${f.cpuPct.main.toFixed(0)} % of one core; the page's main thread busy ${f.pageThread.busy.toFixed(0)} % (script ${f.pageThread.script.toFixed(0)}, layout ${f.pageThread.layout.toFixed(0)}, style ${f.pageThread.style.toFixed(0)})`, target: '—' },
    { figure: `${tag}: main's RSS`, value: `${f.rssMiB.at5s.toFixed(0)} MiB at ${f.heapMiB.takenAtS[0].toFixed(0)} s → ${f.rssMiB.atEnd.toFixed(0)} MiB at ${f.heapMiB.takenAtS[1].toFixed(0)} s, peak ${f.rssMiB.peak.toFixed(0)} MiB${f.rssMiB.every5s.length > 3 ? ` (every 5 s: ${f.rssMiB.every5s.map((m) => m.toFixed(0)).join(', ')})` : ''}`, target: `bounded (within ±10 % from the 10th s to the end: ${f.rssMiB.changePct >= 0 ? '+' : ''}${f.rssMiB.changePct.toFixed(0)} %): ${met(Math.abs(f.rssMiB.changePct) <= 10)}` },
  ];
  if (f.load !== 'idle') {
    const unit = f.sender?.unit === 'bytes' ? 'bytes' : 'datagrams';
    const sent = f.sender ? `${f.sender.sent} ${unit} ${unit === 'bytes' ? 'delivered (acknowledged to socat)' : 'sent'} in ${f.sender.seconds.toFixed(1)} s` : '—';
    const kernel = f.session.kernelDropped === null ? '' : `, the kernel dropped ${f.session.kernelDropped} (/proc/net/udp)${f.session.kernelDroppedField === null ? '' : `, session says ${f.session.kernelDroppedField}`}`;
    rows.push({
      figure: `${tag}: counters`,
      value: `${sent}${kernel}; session ${unit === 'bytes' ? f.session.bytesIn : f.session.chunksIn}; page ${unit === 'bytes' ? f.page.bytesIn : f.page.chunksIn}${f.catchUpMs === null ? ' (never caught up)' : ''}`,
      target: `session = kernel's delivery: ${met(f.sessionExact)}; page = session: ${met(f.pageEqualsSession)}`,
    });
    rows.push({
      figure: `${tag}: the log`,
      value: `${f.page.held} rows held + ${f.page.evicted} scrolled out of the page's ring + ${skipped} skipped = ${f.page.held + f.page.evicted + skipped} of ${f.session.chunksIn} chunks (${((100 * skipped) / Math.max(1, f.session.chunksIn)).toFixed(1)} % skipped${skipped > 0 ? `, said: ${f.page.skippedShown ? 'yes' : 'NO'}` : ''})`,
      target: `skipped counted and said: ${met(f.accounted && (skipped === 0 || f.page.skippedShown))}`,
    });
  }
  return rows;
}

// Standalone: node --import tsx test/bench/page-flood.ts [load…]
if (process.argv[1]?.endsWith('page-flood.ts')) {
  const loads = process.argv.slice(2).length ? (process.argv.slice(2) as PageLoad[]) : PAGE_LOADS;
  const profile = process.env.SOCKBENCH_PROFILE === '1';
  for (const load of loads) {
    console.error(`page bench: ${load}…`);
    const f = await pageFlood(load, { profile });
    for (const r of pageRows(f)) console.log(`${r.figure} | ${r.value} | ${r.target}`);
    if (f.profile) {
      console.log(`  page CPU profile, self time:\n    ${f.profile.page.join('\n    ')}`);
      console.log(`  page trace (2 s), self time on the main thread:\n    ${f.profile.trace.join('\n    ')}`);
      console.log(`  main CPU profile, self time:\n    ${f.profile.main.join('\n    ')}`);
    }
  }
  process.exit(0);
}
