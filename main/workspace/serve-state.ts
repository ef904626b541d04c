// Browser mode you can bookmark: `serve` keeps its token and port in the
// workspace, so a restart serves the same URL. The token is a password to the
// workbench (whoever has it drives sockets as this user), so its file is
// readable by this user only (0600), written whole (a temporary file renamed
// over it) and replaced only on --new-token. See docs/SECURITY.md.
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'serve-token';
export const PORT_FILE = 'serve.json';
const TOKEN = /^[0-9a-f]{48}$/;

export interface ServeToken {
  token: string;
  file: string;
  /** Why this token: kept from the file, new (none or unreadable before), or rotated (--new-token). */
  source: 'kept' | 'new' | 'rotated';
  /** The file was readable by others and was made 0600. */
  tightened: boolean;
}

/** Writes `text` to `file` as this user only (0600), replacing it atomically. */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600); // an older tmp of the same name kept its mode
  renameSync(tmp, file);
}

/** The token kept in `dir`, or a new one (none yet, unreadable, or `rotate`), written 0600. */
export function serveToken(dir: string, rotate = false): ServeToken {
  const file = join(dir, TOKEN_FILE);
  let tightened = false;
  if (!rotate) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      if (TOKEN.test(text)) {
        if ((statSync(file).mode & 0o077) !== 0) {
          chmodSync(file, 0o600);
          tightened = true;
        }
        return { token: text, file, source: 'kept', tightened };
      }
    } catch {
      // None yet, or unreadable: a new one below.
    }
  }
  const token = randomBytes(24).toString('hex');
  writePrivate(file, `${token}\n`);
  return { token, file, source: rotate ? 'rotated' : 'new', tightened };
}

/** The port the last `serve` in `dir` listened on, if it was chosen by the server or given with --port. */
export function rememberedPort(dir: string): number | undefined {
  try {
    const { port } = JSON.parse(readFileSync(join(dir, PORT_FILE), 'utf8')) as { port?: unknown };
    return typeof port === 'number' && Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
  } catch {
    return undefined;
  }
}

export function rememberPort(dir: string, port: number): void {
  writePrivate(join(dir, PORT_FILE), `${JSON.stringify({ port })}\n`);
}
