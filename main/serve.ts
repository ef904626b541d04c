// `npm run serve`: browser mode from the command line.
//   node dist/serve.cjs [--port N] [--host 127.0.0.1|::1] [--workspace DIR] [--new-token]
// The token and the port are kept in the workspace (serve-state.ts), so a
// restart serves the same URL and a bookmark keeps working.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserServer, type BrowserServer } from './bridge/browser-server.js';
import { Workbench, workspaceConfig } from './workbench.js';
import { rememberedPort, rememberPort, serveToken } from './workspace/serve-state.js';

const USAGE = `usage: npm run serve -- [--port N] [--host 127.0.0.1|::1] [--workspace DIR] [--new-token]
  --port N       listen on N (kept for the next start); --port 0: a free port for this run only.
                 Without --port: the port of the last start in this workspace, else a free one (then kept).
  --new-token    replace the token kept in the workspace (serve-token, mode 0600): old URLs stop working.`;

function usage(problem: string): never {
  process.stderr.write(`sockbench serve: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

export interface ServeArgs {
  /** undefined: the remembered port (or a free one); 0: a free one for this run. */
  port?: number;
  host: string;
  workspace?: string;
  newToken: boolean;
}

/** The command line, or a usage error (one line naming the flag and what it takes). */
export function parseServeArgs(argv: string[]): ServeArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, host: { type: 'string' }, workspace: { type: 'string' }, 'new-token': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    usage((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const port = values.port;
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) > 65535)) usage(`--port needs a number 0–65535, got ${port}`);
  const host = values.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') usage('--host must be 127.0.0.1 or ::1 (browser mode stays on loopback)');
  if (values.workspace === '') usage('--workspace needs a folder');
  return {
    ...(port !== undefined ? { port: Number(port) } : {}),
    host,
    newToken: Boolean(values['new-token']),
    ...(values.workspace !== undefined ? { workspace: values.workspace } : {}),
  };
}

async function main(): Promise<void> {
  const args = parseServeArgs(process.argv.slice(2));
  const staticDir = resolve(__dirname, 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) usage(`the renderer is not built (${staticDir}); run npm run build first`);
  const config = workspaceConfig(args.workspace, undefined, { remember: true });
  const workbench = new Workbench({ workspace: config });
  let folder: string;
  try {
    folder = workbench.workspace.dir;
  } catch (e) {
    await workbench.close();
    usage(`--workspace: ${(e as Error).message}`);
  }
  // The token and the port stay with the folder this start was given, not one chosen in the page
  // and remembered: a bookmark keeps working after a switch and a restart.
  if (config.source === 'chosen' && config.startDir !== undefined) folder = config.startDir;
  const kept = rememberedPort(folder);
  const port = args.port ?? kept ?? 0;
  const token = serveToken(folder, args.newToken);
  const server: BrowserServer = await startBrowserServer({ port, host: args.host, staticDir, workbench, token: token.token }).catch(async (e: NodeJS.ErrnoException) => {
    await workbench.close();
    usage(e.code !== 'EADDRINUSE' ? e.message
      : args.port === undefined ? `port ${port} (kept from the last start in this workspace, so bookmarks work) is in use: is another serve running on ${folder}? Open its URL, or stop it; or choose another port with --port N (kept from then on)`
      : `port ${port} is already in use; choose another with --port, or --port 0 for a free one`);
  });
  if (args.port !== 0) rememberPort(folder, server.port);
  const tokenNote = token.source === 'rotated' ? ' (a new token: pages opened with the old one are refused)'
    : token.source === 'kept' ? ' (the same URL as the last start)' : '';
  const portNote = args.port === 0 ? '\n(--port 0: this port is for this run only; without --port the next start keeps the last kept port)' : '';
  const tightened = token.tightened ? `\nWarning: ${token.file} was readable by other users; it is now 0600.` : '';
  process.stdout.write(
    `Sockbench is running in browser mode (loopback only).\nWorkspace: ${folder}\nOpen: ${server.url}${tokenNote}${portNote}${tightened}\n` +
    `The token is kept in ${token.file} (mode 0600); --new-token replaces it.\nPress Ctrl+C to stop.\n`,
  );
  const stop = (): void => {
    void server.close().then(() => workbench.close()).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
