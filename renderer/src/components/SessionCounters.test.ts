// What a user reads about losses under a flood: the kernel's drops, the app's
// and the view's, each said apart, from values put in the stores (the engine
// fills kernelDropped and appDropped where the kernel says; here we set them).
import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it } from 'vitest';
import { createSSRApp, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import type { SessionInfo } from '../../../shared/contract/index.js';
import { i18n } from '../i18n/index.js';
import { VIEW_PERIOD_MS } from '../lib/view-clock.js';
import { useLog } from '../stores/log.js';
import { useSessions } from '../stores/sessions.js';
import SessionCounters from './SessionCounters.vue';

const session = (counters: Partial<SessionInfo['counters']>): SessionInfo => ({
  id: 4, family: 'AF_INET', type: 'SOCK_DGRAM', state: 'bound', readMode: 'auto', timeoutMs: null, createdUs: 0,
  counters: { bytesIn: 64_000, bytesOut: 0, chunksIn: 1000, chunksOut: 0, ...counters },
});

async function render(counters: Partial<SessionInfo['counters']>, skipped?: { bytes: number; chunks: number }, locale: 'en' | 'zh-CN' = 'en'): Promise<string> {
  const pinia = createPinia();
  setActivePinia(pinia);
  const sessions = useSessions();
  sessions.apply(session(counters));
  if (skipped) {
    useLog().noteDropped(4, skipped.bytes, skipped.chunks);
    await new Promise((r) => setTimeout(r, VIEW_PERIOD_MS + 20)); // skips are counted on screen at the view clock
  }
  const s = sessions.byId.get(4)!;
  i18n.global.locale.value = locale;
  const app = createSSRApp({ render: () => h('dl', h(SessionCounters, { sessionId: 4, counters: s.counters })) });
  app.use(pinia).use(i18n);
  const html = await renderToString(app);
  i18n.global.locale.value = 'en';
  return html.replace(/<!--[\s\S]*?-->/g, '');
}

const text = (html: string, testid: string) =>
  new RegExp(`data-testid="${testid}"[^>]*>([^<]*)<`).exec(html)?.[1]?.replace(/\s+/g, ' ').trim();

describe('a session’s losses, told apart', () => {
  it('says what the kernel dropped, what the app let go and what the view skipped, each on its own', async () => {
    const html = await render({ kernelDropped: 1234, appDropped: { chunks: 5, bytes: 320 } }, { bytes: 6400, chunks: 100 });
    expect(text(html, 'session-kernel-dropped')).toBe('1234 datagrams');
    expect(html).toMatch(/<dd class="warn mono" data-testid="session-kernel-dropped"/);
    expect(text(html, 'session-app-dropped')).toBe('5 chunks, 320 B');
    expect(text(html, 'session-view-skipped')).toBe('100 chunks, 6.3 KiB');
    expect(html).toMatch(/kernel dropped<\/dt>/);
    expect(html).toMatch(/app let go<\/dt>/);
    expect(html).toMatch(/view skipped<\/dt>/);
    expect(html).toMatch(/data-testid="session-bytes-in" data-bytes="64000" data-chunks="1000"/);
  });

  it('shows nothing of what the engine does not report, and no skipped line before the view skipped anything', async () => {
    const html = await render({});
    expect(html).not.toMatch(/session-kernel-dropped|session-app-dropped|session-view-skipped/);
    const zero = await render({ kernelDropped: 0 });
    expect(text(zero, 'session-kernel-dropped')).toBe('0 datagrams');
    expect(zero, 'zero is not a warning').toMatch(/<dd class="mono" data-testid="session-kernel-dropped"/);
  });

  it('says it in Chinese too', async () => {
    const html = await render({ kernelDropped: 7 }, { bytes: 64, chunks: 1 }, 'zh-CN');
    expect(text(html, 'session-kernel-dropped')).toBe('7 个数据报');
    expect(html).toMatch(/内核丢弃<\/dt>/);
    expect(html).toMatch(/视图跳过<\/dt>/);
  });
});
