// `npm run serve`: browser mode from the command line.
//   node dist/serve.cjs [--port N] [--host 127.0.0.1|::1] [--workspace DIR]
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBrowserServer } from './bridge/browser-server.js';
import { workspaceConfig } from './workbench.js';

function usage(problem: string): never {
  process.stderr.write(`sockbench serve: ${problem}\nusage: npm run serve -- [--port N] [--host 127.0.0.1|::1] [--workspace DIR]\n`);
  process.exit(2);
}

/** The command line, or a usage error (one line naming the flag and what it takes). */
export function parseServeArgs(argv: string[]): { port: number; host: string; workspace?: string } {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' }, workspace: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (e) {
    usage((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const port = values.port ?? '0';
  if (!/^\d+$/.test(port) || Number(port) > 65535) usage(`--port needs a number 0–65535, got ${port}`);
  const host = values.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') usage('--host must be 127.0.0.1 or ::1 (browser mode stays on loopback)');
  if (values.workspace === '') usage('--workspace needs a folder');
  return { port: Number(port), host, ...(values.workspace !== undefined ? { workspace: values.workspace } : {}) };
}

async function main(): Promise<void> {
  const { port, host, workspace } = parseServeArgs(process.argv.slice(2));
  const staticDir = resolve(__dirname, 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) usage(`the renderer is not built (${staticDir}); run npm run build first`);
  const server = await startBrowserServer({ port, host, staticDir, workspace: workspaceConfig(workspace) }).catch((e: NodeJS.ErrnoException) => {
    usage(e.code === 'EADDRINUSE' ? `port ${port} is already in use; choose another with --port, or omit it for a free one` : e.message);
  });
  let folder: string;
  try {
    folder = server.workbench.workspace.dir;
  } catch (e) {
    await server.close();
    usage(`--workspace: ${(e as Error).message}`);
  }
  process.stdout.write(`Sockbench is running in browser mode (loopback only).\nWorkspace: ${folder}\nOpen: ${server.url}\nPress Ctrl+C to stop.\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
