// Browser mode: the renderer served over HTTP on loopback, the bridge over a
// token-checked WebSocket. A real feature (the workbench used from a browser
// on a headless box), and how the stack is tested end to end.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Workbench, type WorkspaceConfig } from '../workbench.js';
import { contentType } from './mime.js';
import { createRouter, type Router } from './router.js';
import { attachWsTransport } from './ws-transport.js';

const LOOPBACK = new Set(['127.0.0.1', '::1']);

export interface BrowserServerOptions {
  /** 0 = a free port. */
  port?: number;
  /** Loopback only: 127.0.0.1 (default) or ::1. */
  host?: string;
  /** Built renderer (dist/renderer). */
  staticDir: string;
  workbench?: Workbench;
  /** The workspace folder of the workbench it makes (when none is given). */
  workspace?: WorkspaceConfig;
  token?: string;
}

export interface BrowserServer {
  url: string;
  token: string;
  port: number;
  workbench: Workbench;
  router: Router;
  close(): Promise<void>;
}

export function contentSecurityPolicy(origin: string): string {
  const ws = origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    `connect-src 'self' ${ws}`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; ');
}

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`browser mode listens on loopback only (127.0.0.1 or ::1), not ${host}`);
  const workbench = opts.workbench ?? new Workbench(opts.workspace ? { workspace: opts.workspace } : {});
  const router = createRouter(workbench);
  const token = opts.token ?? randomBytes(24).toString('hex');
  let port = 0;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const allowedHosts = () => [`${hostPart}:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  const server = createServer((req, res) => {
    void serveStatic(req, res, opts.staticDir, allowedHosts(), contentSecurityPolicy(`http://${hostPart}:${port}`));
  });
  const ws = attachWsTransport({ server, router, token, allowedHosts, allowedOrigins });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${hostPart}:${port}/#token=${token}`,
    token,
    port,
    workbench,
    router,
    async close() {
      await ws.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (!opts.workbench) await workbench.close();
    },
  };
}

async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, hosts: string[], csp: string): Promise<void> {
  const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };
  if (!hosts.includes(req.headers.host ?? '')) return send(403, 'Host not allowed');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return send(400, 'bad path');
  }
  if (path === '/') path = '/index.html';
  const file = normalize(join(root, path));
  if (!file.startsWith(normalize(root) + sep)) return send(403, 'outside the app');
  try {
    send(200, await readFile(file), contentType(file));
  } catch {
    send(404, 'not found');
  }
}
