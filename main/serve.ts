// `npm run serve`: browser mode from the command line.
//   node dist/serve.cjs [--port N] [--host 127.0.0.1|::1]
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startBrowserServer } from './bridge/browser-server.js';

function usage(problem: string): never {
  process.stderr.write(`sockbench serve: ${problem}\nusage: npm run serve -- [--port N] [--host 127.0.0.1|::1]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { port: number; host: string } {
  let port = 0;
  let host = '127.0.0.1';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = argv[i + 1];
    if (a === '--port') {
      if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) usage(`--port needs a number 0–65535, got ${value ?? 'nothing'}`);
      port = Number(value);
      i++;
    } else if (a === '--host') {
      if (value !== '127.0.0.1' && value !== '::1') usage('--host must be 127.0.0.1 or ::1 (browser mode stays on loopback)');
      host = value;
      i++;
    } else usage(`unknown argument ${a}`);
  }
  return { port, host };
}

async function main(): Promise<void> {
  const { port, host } = parseArgs(process.argv.slice(2));
  const staticDir = resolve(__dirname, 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) usage(`the renderer is not built (${staticDir}); run npm run build first`);
  const server = await startBrowserServer({ port, host, staticDir }).catch((e: NodeJS.ErrnoException) => {
    usage(e.code === 'EADDRINUSE' ? `port ${port} is already in use; choose another with --port, or omit it for a free one` : e.message);
  });
  process.stdout.write(`Sockbench is running in browser mode (loopback only).\nOpen: ${server.url}\nPress Ctrl+C to stop.\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
