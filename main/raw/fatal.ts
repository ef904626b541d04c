// Imported first by the helper, so even a failure to load raw-socket ends
// as one line on stderr (which the client shows) instead of a stack trace.
process.on('uncaughtException', (e) => {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  process.stderr.write(`raw helper: fatal: ${text.split('\n')[0]!.slice(0, 500)}\n`);
  process.exit(70);
});
