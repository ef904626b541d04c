// The app's pages come from app://sockbench/…, a privileged custom scheme
// served from dist/renderer, not from file:// (which would give the page
// the whole filesystem's origin).
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { contentType } from '../bridge/mime.js';
import { APP_HOST, APP_SCHEME, contentSecurityPolicy } from './security.js';

/** Must run before app 'ready'. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/**
 * The file under `root` an app:// URL names, or null for anything else:
 * another scheme or host, traversal (plain or percent-encoded), backslashes,
 * NUL bytes, or a path that would leave `root`.
 */
export function resolveAppPath(url: string, root: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path === '/' || path === '') path = '/index.html';
  if (path.includes('\\') || path.includes('\0') || path.split('/').includes('..')) return null;
  const base = resolve(root);
  const file = resolve(join(base, path));
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return file;
}

export function appResponseHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': contentType(file),
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

export async function serveAppRequest(request: Request, root: string): Promise<Response> {
  const file = resolveAppPath(request.url, root);
  if (!file || request.method !== 'GET') return new Response('not found', { status: 404 });
  try {
    return new Response(await readFile(file), { headers: appResponseHeaders(file) });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

/** After 'ready'. */
export function handleAppScheme(root: string): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, root));
}
