// Errors that mislead or leak (issue 16, item 7), through the router as the
// page calls it: an error quotes what was sent only so far (a 1 MiB string
// does not come back as a 1 MiB message). The EMFILE cases run under a low
// open-files limit in test/faults/emfile.test.ts; the broadcast ping in
// test/faults/raw-helper-kill.test.ts; port 0 in test/loss/udp.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { harness } from '../support/engine-harness.js';

let h: ReturnType<typeof harness> | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('what an error quotes is capped', () => {
  const big = 'x'.repeat(1 << 20);
  it.each([
    ['packets', { via: 'raw', packets: big }],
    ['packets.0.0', { via: 'raw', packets: [[big]] }],
  ] as const)('craft.send with a 1 MiB string at %s: a short message, still on its field', async (field, params) => {
    h = harness();
    const e = await h.error('craft.send', params);
    expect(e).toMatchObject({ code: 'BAD_REQUEST', field });
    expect(e.message.length).toBeLessThanOrEqual(1024);
    expect(e.message).toMatch(/more characters not shown\)$/);
  });
});
