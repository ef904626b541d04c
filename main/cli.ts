// `sockbench`: the engine from the command line, for scripts and CI.
// Exit status: 0 done, 1 the socket call failed (one line naming the errno),
// 2 bad usage. Never a stack trace.
import { CallError } from '../shared/contract/index.js';
import { parseCommand, USAGE, UsageError } from './cli/args.js';
import { runConnect, runListen, type Exit } from './cli/run.js';

async function main(argv: string[]): Promise<number> {
  let cmd;
  try {
    cmd = parseCommand(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`sockbench: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (cmd.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let result: Exit;
  try {
    result = cmd.kind === 'listen' ? await runListen(cmd) : await runConnect(cmd);
  } catch (e) {
    const message = e instanceof CallError ? e.error.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`sockbench: ${message}\n`);
    return 1;
  }
  if (result.reason) process.stderr.write(`sockbench: ${result.reason}\n`);
  return result.status;
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
    // Sessions are closed; leave even if a peer keeps a handle open.
    setImmediate(() => process.exit(status));
  },
  (e: unknown) => {
    process.stderr.write(`sockbench: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
