import { describe, expect, it } from 'vitest';
import { watchServer } from './server-probe.js';

/** Runs watchServer over a scripted list of answers (true = the server answers) and says what it concluded. */
async function outcome(why: 'refused' | 'lost', answers: boolean[]): Promise<string[]> {
  const seen: string[] = [];
  let i = 0;
  await new Promise<void>((done) => {
    watchServer(why, {
      down: () => seen.push('down'),
      up: () => (seen.push('up'), done()),
      back: () => (seen.push('back'), done()),
    }, { everyMs: 1, probe: async () => answers[Math.min(i++, answers.length - 1)]! });
  });
  return seen;
}

describe('a stale page watching its server', () => {
  it('a server that went away and came back: reload (same URL, same token)', async () => {
    expect(await outcome('lost', [false, false, true])).toEqual(['down', 'down', 'back']);
    expect(await outcome('refused', [false, true])).toEqual(['down', 'back']);
  });

  it('refused while the server answers: the token is not its token, so no reload loop', async () => {
    expect(await outcome('refused', [true])).toEqual(['up']);
  });

  it('a connection lost while the server stayed up (a quick restart): reload once it answers twice', async () => {
    expect(await outcome('lost', [true, true])).toEqual(['back']);
  });

  it('a server shutting down still answers once after the bridge closed: no reload onto a dead port', async () => {
    expect(await outcome('lost', [true, false, false, true])).toEqual(['down', 'down', 'back']);
  });
});
