// Run by privilege.test.ts under capsh/setpriv with CAP_NET_RAW dropped;
// prints what a person (or the UI) would be told, as JSON on stdout.
import { RawHelper } from './raw-helper.js';
import { hasRawPrivilege } from './privilege.js';
import { helperEntry, tsxArgv } from './testkit.js';

const describeError = (e: unknown) => (e instanceof Error ? { name: e.name, code: (e as { code?: unknown }).code, message: e.message } : { message: String(e) });
const out: Record<string, unknown> = { hasRawPrivilege: hasRawPrivilege() };

// As the app does it: no privilege, so nothing is spawned.
const app = new RawHelper({ entry: helperEntry, execArgv: tsxArgv });
out.start = app.start();
out.reason = app.reason;
out.pid = app.pid ?? null;
out.openError = await app.open({ protocol: 'icmp', family: 4 }).then(() => null, describeError);

// The helper started anyway (as if the check were wrong): the kernel says EPERM.
const forced = new RawHelper({ entry: helperEntry, execArgv: tsxArgv, privilege: () => ({ privileged: true, reason: 'forced by the test' }) });
out.forcedError = await forced.open({ protocol: 'icmp', family: 4 }).then(() => null, describeError);
out.forcedStatus = forced.status();
out.forcedReason = forced.reason;
await forced.stop();
process.stdout.write(JSON.stringify(out));
