// `sockbench`: the engine from the command line, for scripts and CI.
// Exit status: 0 done, 1 the socket call failed (one line naming the errno),
// 2 bad usage. ping and traceroute exit as ping does: 0 a reply came, 1 none
// did, 2 an error; sweep as fping: 0 all alive, 1 some unreachable, 2 an
// error. Never a stack trace.
import { CallError } from '../shared/contract/index.js';
import { parseCommand, takeWorkspace, USAGE, UsageError } from './cli/args.js';
import { VERSION } from './cli/help.js';
import { runPackets } from './cli/packets-run.js';
import { runCraft } from './cli/craft-run.js';
import { runPing, runSweep, runTraceroute } from './cli/probe-run.js';
import { runConnect, runListen, type Exit } from './cli/run.js';
import { runScenarios } from './cli/scenario-run.js';

async function main(argv: string[]): Promise<number> {
  let cmd;
  let workspace: string | undefined;
  try {
    ({ argv, workspace } = takeWorkspace(argv));
    cmd = parseCommand(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    // ping and traceroute: one line, as those tools print it; the others add the usage.
    // craft too: a bad layer line is one line naming the layer, word and column.
    // run: one line too (CI logs read it).
    const probe = argv[0] === 'ping' || argv[0] === 'traceroute' || argv[0] === 'sweep' || argv[0] === 'craft' || argv[0] === 'run';
    const message = probe && !e.message.startsWith(`${argv[0]}:`) && !e.message.startsWith(`${argv[0]} `) ? `${argv[0]}: ${e.message}` : e.message;
    process.stderr.write(probe ? `sockbench: ${message}\n` : `sockbench: ${message}\n${USAGE}\n`);
    return 2;
  }
  if (cmd.kind === 'help') {
    process.stdout.write(`${cmd.text ?? USAGE}\n`);
    return 0;
  }
  if (cmd.kind === 'version') {
    process.stdout.write(`sockbench ${VERSION}\n`);
    return 0;
  }
  let result: Exit;
  try {
    result = cmd.kind === 'listen' ? await runListen(cmd, workspace)
      : cmd.kind === 'ping' ? await runPing(cmd)
      : cmd.kind === 'traceroute' ? await runTraceroute(cmd)
      : cmd.kind === 'sweep' ? await runSweep(cmd)
      : cmd.kind === 'craft' ? await runCraft(cmd)
      : cmd.kind === 'connect' ? await runConnect(cmd, workspace, process.stdin.isTTY ? undefined : process.stdin)
      : cmd.kind === 'run' ? await runScenarios(cmd, workspace)
      : await runPackets(cmd, workspace);
  } catch (e) {
    const message = e instanceof CallError ? e.error.message : e instanceof Error ? e.message : String(e);
    process.stderr.write(`sockbench: ${message}\n`);
    return 1;
  }
  if (result.reason) process.stderr.write(`sockbench: ${result.reason}\n`);
  return result.status;
}

// A reader that went away (`sockbench … | head -c 10`) is not a failure: end
// quietly, as cat and nc do, instead of dying on EPIPE with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
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
