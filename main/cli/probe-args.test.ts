import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.js';
import { pingProblem, type PingCommand } from './probe-args.js';

describe('sockbench ping / traceroute arguments', () => {
  it('reads ping options as ping spells them', () => {
    expect(parseCommand(['ping', '127.0.0.1'])).toMatchObject({
      kind: 'ping', host: '127.0.0.1', count: null, intervalMs: 1000, flood: false, size: 56, df: false, timeoutMs: 10_000, json: false,
    });
    const c = parseCommand(['ping', '-c', '5', '-i', '0.01', '-s', '100', '-t', '3', '-Q', '16', '-M', 'do', '-W', '0.5', '-p', 'ff00', '--json', 'localhost']);
    expect(c).toMatchObject({ kind: 'ping', host: 'localhost', count: 5, intervalMs: 10, size: 100, ttl: 3, tos: 16, df: true, timeoutMs: 500, json: true });
    expect(Array.from((c as { pattern: Uint8Array }).pattern)).toEqual([0xff, 0x00]);
    expect(parseCommand(['ping', '-c5', '-f', '::1'])).toMatchObject({ count: 5, flood: true, intervalMs: 0 });
    expect(parseCommand(['ping', '-f', '-i', '0.0001', '::1'])).toMatchObject({ flood: true, intervalMs: 0.1 });
    expect(parseCommand(['ping', '-6', '-s', '65507', 'localhost'])).toMatchObject({ family: 6, size: 65507 });
    // A host name's family bounds the size once it resolves: 65527 is IPv6's limit, not IPv4's.
    const big = parseCommand(['ping', '-s', '65527', 'localhost']) as PingCommand;
    expect(pingProblem(big, '::1')).toBeNull();
    expect(pingProblem(big, '127.0.0.1')).toBe('-s 65527: size must be at most 65507 for IPv4 (65535 − 20-byte IP header − 8-byte ICMP header)');
  });

  it('reads traceroute options', () => {
    expect(parseCommand(['traceroute', '127.0.0.1'])).toMatchObject({ kind: 'traceroute', mode: 'icmp', maxHops: 30, probesPerHop: 3, timeoutMs: 5000, json: false });
    expect(parseCommand(['traceroute', '--udp', '-m', '5', '-q', '1', '-w', '0.2', '--json', '::1'])).toMatchObject({
      mode: 'udp', maxHops: 5, probesPerHop: 1, timeoutMs: 200, json: true,
    });
  });

  it.each([
    [['ping'], /ping needs a host/],
    [['ping', 'a', 'b'], /unexpected argument "b"/],
    [['ping', '-s', '65508', '127.0.0.1'], /^-s 65508: size must be at most 65507 for IPv4 \(65535 − 20-byte IP header − 8-byte ICMP header\)$/],
    [['ping', '-s', '65528', '::1'], /^-s 65528: size must be between 0 and 65527 \(65507 for IPv4\)$/],
    [['ping', '-i', '0.0005', '127.0.0.1'], /^-i 0\.0005 \(0\.5 ms\): interval must be at least 1 ms \(or use flood\)$/],
    [['ping', '-W', '3601', '127.0.0.1'], /^-W 3601 \(3601000 ms\): timeout must be between 1 and 3600000$/],
    [['ping', '-i', 'fast', '127.0.0.1'], /-i needs a number of seconds/],
    [['ping', '-c', '0', '127.0.0.1'], /^-c 0: count must be between 1 and 2147483647$/],
    [['ping', '-c', 'many', '127.0.0.1'], /^-c needs a whole number, got "many"$/],
    [['ping', '-t', '256', '127.0.0.1'], /^-t 256: ttl must be between 1 and 255$/],
    [['ping', '-p', 'xyz', '127.0.0.1'], /-p: /],
    [['ping', '-p', '00'.repeat(17), '127.0.0.1'], /^-p 0{34}: the pattern is at most 16 bytes$/],
    [['ping', '-M', 'want', '127.0.0.1'], /-M needs do or dont/],
    [['ping', '-4', '-6', 'localhost'], /exclude each other/],
    [['ping', '--frobnicate', '127.0.0.1'], /ping: Unknown option '--frobnicate'/],
    [['traceroute', '--udp', '-I', '127.0.0.1'], /exclude each other/],
    [['traceroute', '-m', '65', '127.0.0.1'], /^-m 65: max hops must be between 1 and 64$/],
    [['traceroute', '-w', '20', '127.0.0.1'], /^-w 20 \(20000 ms\): timeout must be between 10 and 10000$/],
  ])('refuses %j', (argv, why) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(why);
  });
});

describe('sockbench sweep arguments', () => {
  it('reads fping-style options (ms), targets from every positional', () => {
    expect(parseCommand(['sweep', '127.0.0.1', '::1', '127.0.0.0/29'])).toEqual({
      kind: 'sweep', targets: '127.0.0.1 ::1 127.0.0.0/29', names: [], total: 7, count: 1, stats: false, intervalMs: 10, perTargetIntervalMs: 1000, timeoutMs: 500, json: false,
    });
    // Host names are kept to be resolved when the sweep runs (fping takes names too).
    expect(parseCommand(['sweep', 'localhost', '127.0.0.1'])).toMatchObject({ targets: '127.0.0.1', names: ['localhost'], total: 2 });
    expect(parseCommand(['sweep', 'localhost'])).toMatchObject({ targets: '', names: ['localhost'], total: 1 });
    expect(parseCommand(['sweep', '-c', '3', '-i', '1', '-p', '20', '-t', '100', '--json', '127.0.0.1,127.0.0.2'])).toMatchObject({
      count: 3, stats: true, intervalMs: 1, perTargetIntervalMs: 20, timeoutMs: 100, json: true, total: 2,
    });
  });

  it.each([
    [['sweep'], /sweep needs targets/],
    [['sweep', '127.0.0.0/8'], /127\.0\.0\.0\/8 would be 16,777,214 addresses; the limit is 4,096/],
    [['sweep', '127.0.0.1', 'no_pe'], /"no_pe" is not an IPv4 or IPv6 address or CIDR block/],
    [['sweep', '-c', '101', '127.0.0.1'], /^-c 101: count must be between 1 and 100$/],
    [['sweep', '-p', '5', '127.0.0.1'], /^-p 5: per-target interval must be at least 10 ms$/],
    [['sweep', '-x', '127.0.0.1'], /^sweep: Unknown option '-x'/],
  ])('%j → a usage error', (argv, why) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(why);
  });
});
