import { describe, expect, it } from 'vitest';
import { expandTargets, MAX_SWEEP_TARGETS } from './targets.js';

const ok = (text: string): string[] => {
  const r = expandTargets(text);
  if (!r.ok) throw new Error(r.message);
  return r.targets;
};
const bad = (text: string) => {
  const r = expandTargets(text);
  if (r.ok) throw new Error(`${text} should be refused`);
  return r;
};

describe('expandTargets', () => {
  it('takes a list separated by spaces, commas and newlines, in order, duplicates once', () => {
    expect(ok('127.0.0.1 127.0.0.2,::1\n127.0.0.3\r\n\t127.0.0.1 , ')).toEqual(['127.0.0.1', '127.0.0.2', '::1', '127.0.0.3']);
  });

  it('normalises IPv6 literals (so duplicates are found), a zone kept as given', () => {
    expect(ok('0:0:0:0:0:0:0:1 ::1 FD00::0001 ::ffff:127.0.0.1 fe80::1%lo FE80::0001%lo fd00:0:0:1:0:0:0:0')).toEqual(
      ['::1', 'fd00::1', '::ffff:127.0.0.1', 'fe80::1%lo', 'fd00:0:0:1::'],
    );
  });

  it('expands an IPv4 block skipping the network and broadcast addresses of a /30 or wider (fping -g)', () => {
    expect(ok('127.0.0.0/29')).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']);
    expect(ok('127.0.0.0/30')).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(ok('127.0.0.8/31')).toEqual(['127.0.0.8', '127.0.0.9']);
    expect(ok('127.0.0.9/32')).toEqual(['127.0.0.9']);
    expect(ok('127.0.0.0/28')).toHaveLength(14);
    // Host bits given are dropped, as fping does.
    expect(ok('127.0.0.5/29')[0]).toBe('127.0.0.1');
    expect(ok('127.0.0.0/20')).toHaveLength(4094);
  });

  it('expands an IPv6 block, every address (no broadcast in IPv6)', () => {
    expect(ok('fd00::/126')).toEqual(['fd00::', 'fd00::1', 'fd00::2', 'fd00::3']);
    expect(ok('fd00::13/124')).toHaveLength(16);
    expect(ok('fd00::13/124')[0]).toBe('fd00::10');
    expect(ok('::1/128')).toEqual(['::1']);
    expect(ok('fd00::/116')).toHaveLength(4096);
  });

  it('refuses a block over the limit, saying how many it would be and the limit', () => {
    expect(bad('127.0.0.0/8').message).toBe('127.0.0.0/8 would be 16,777,214 addresses; the limit is 4,096');
    expect(bad('127.0.0.0/19').message).toMatch(/8,190 addresses; the limit is 4,096/);
    expect(bad('fd00::/64').message).toBe('fd00::/64 would be 2^64 addresses; the limit is 4,096');
    expect(bad('fd00::/115').message).toMatch(/8,192 addresses/);
    // The limit is on the whole list.
    expect(bad('127.0.0.1 127.0.0.2 fd00::/116').message).toMatch(/fd00::\/116 would be 4,096 more addresses, 2 already listed; the limit is 4,096/);
    expect(MAX_SWEEP_TARGETS).toBe(4096);
  });

  it('names a malformed entry; refuses an empty list', () => {
    expect(bad('127.0.0.1 localhost').message).toBe('"localhost" is not an IPv4 or IPv6 address or CIDR block');
    expect(bad('127.0.0.256').entry).toBe('127.0.0.256');
    expect(bad('127.0.0.0/33').message).toBe('"127.0.0.0/33": the prefix length must be 0..32');
    expect(bad('fd00::/129').message).toMatch(/0\.\.128/);
    expect(bad('127.0.0.0/').message).toMatch(/prefix length/);
    expect(bad('foo/24').message).toBe('"foo/24" is not an IPv4 or IPv6 address or CIDR block');
    expect(bad('').message).toMatch(/^no targets/);
    expect(bad(' ,\n ').message).toMatch(/^no targets/);
  });
});
