import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand, parseData, parseIpTarget, UsageError } from './args.js';

const bytes = (s: string) => Array.from(new TextEncoder().encode(s));

describe('sockbench arguments', () => {
  it('reads IPv4 and bracketed IPv6 addresses', () => {
    expect(parseIpTarget('127.0.0.1:9000')).toEqual({ family: 'AF_INET', address: '127.0.0.1', port: 9000 });
    expect(parseIpTarget('[::1]:0')).toEqual({ family: 'AF_INET6', address: '::1', port: 0 });
  });

  it.each([
    ['127.0.0.1', /host:port/],
    ['::1:80', /host:port/],
    ['localhost:80', /not an IPv4 or IPv6 address/],
    ['127.0.0.1:70000', /between 0 and 65535/],
  ])('refuses the address %s with a specific reason', (text, why) => {
    expect(() => parseIpTarget(text)).toThrow(why);
  });

  it('reads DATA as escaped text, hex: or @file', () => {
    expect(Array.from(parseData('hi\\r\\n\\x00', '--send'))).toEqual([...bytes('hi\r\n'), 0]);
    expect(Array.from(parseData('hex:0a0B ff', '--send'))).toEqual([10, 11, 255]);
    const file = join(mkdtempSync(join(tmpdir(), 'sockbench-cli-')), 'payload.bin');
    writeFileSync(file, Buffer.from([1, 2, 3]));
    expect(Array.from(parseData(`@${file}`, '--send'))).toEqual([1, 2, 3]);
    expect(() => parseData('bad\\q', '--send')).toThrow(/--send: .*\\q/);
    expect(() => parseData('hex:abc', '--reply')).toThrow(/--reply/);
    expect(() => parseData('@/no/such/file', '--send')).toThrow(/cannot read \/no\/such\/file: ENOENT/);
  });

  it('builds listen and connect commands with their options', () => {
    expect(parseCommand(['listen', 'udp', '[::1]:0', '--echo', '--count', '3', '--timeout', '1.5', '--json'])).toMatchObject({
      kind: 'listen', protocol: 'udp', echo: true, count: 3, timeoutS: 1.5, json: true,
    });
    const c = parseCommand(['connect', 'tcp', '127.0.0.1:80', '--send', 'GET / HTTP/1.0\\r\\n\\r\\n', '--wait', '200']);
    expect(c).toMatchObject({ kind: 'connect', waitMs: 200, json: false });
    expect(parseCommand(['listen', 'unix-seqpacket', '/tmp/x.sock', '--echo'])).toMatchObject({
      kind: 'listen', protocol: 'unix-seqpacket', target: { family: 'AF_UNIX', address: '/tmp/x.sock', port: 0 }, echo: true,
    });
    expect(parseCommand(['connect', 'unix-dgram', '@bench', '--send', 'x'])).toMatchObject({
      kind: 'connect', protocol: 'unix-dgram', target: { family: 'AF_UNIX', address: '@bench', port: 0 },
    });
  });

  it('reads --encoding for DATA and for printing, and --append after DATA', () => {
    const c = parseCommand(['connect', 'tcp', '127.0.0.1:80', '--send', '你好\\r\\n', '--encoding', 'GBK', '--append', 'crc16-modbus']);
    expect(c).toMatchObject({ kind: 'connect', encoding: 'gbk' });
    const send = (c as { send: Uint8Array }).send;
    expect(Buffer.from(send.subarray(0, 6)).toString('hex')).toBe('c4e3bac30d0a');
    expect(send.length).toBe(8);
    // hex: and @file are bytes already: the encoding does not touch them, the appendix still follows.
    const l = parseCommand(['listen', 'udp', '127.0.0.1:0', '--reply', 'hex:313233343536373839', '--encoding', 'sjis', '--append', 'crc32']);
    expect(l).toMatchObject({ kind: 'listen', encoding: 'shift_jis' });
    expect(Buffer.from((l as { reply: Uint8Array }).reply).toString('hex')).toBe('313233343536373839cbf43926');
    expect(parseCommand(['connect', 'tcp', '127.0.0.1:80'])).not.toHaveProperty('encoding');
  });

  it.each([
    [['connect', 'tcp', '127.0.0.1:80', '--send', 'x', '--encoding', 'ebcdic'], /--encoding "ebcdic": unknown; one of utf-8, gbk, gb18030, big5/],
    [['connect', 'tcp', '127.0.0.1:80', '--send', 'x', '--append', 'crc64'], /--append "crc64": unknown; one of crc16-modbus, .*crlf/],
    [['connect', 'tcp', '127.0.0.1:80', '--send', 'ab😀', '--encoding', 'gbk'], /--send: "😀" \(U\+1F600\) cannot be encoded in GBK at position 3/],
    [['connect', 'tcp', '127.0.0.1:80', '--append', 'lf'], /--append needs --send/],
    [['listen', 'tcp', '127.0.0.1:0', '--echo', '--append', 'crc32'], /--append needs --reply/],
  ])('refuses %j naming the option', (argv, why) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(why);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['listen', 'tcp'], /needs a protocol and an address/],
    [['listen', 'sctp', '127.0.0.1:1'], /unknown protocol "sctp"/],
    [['listen', 'tcp', '127.0.0.1:1', '--echo', '--reply', 'x'], /exclude each other/],
    [['listen', 'tcp', '127.0.0.1:1', '--count', '0'], /--count needs a whole number ≥ 1/],
    [['listen', 'tcp', '127.0.0.1:1', '--timeout=0'], /--timeout needs a number of seconds > 0/],
    [['listen', 'tcp', '127.0.0.1:1', '--send', 'x'], /--send/],
    [['connect', 'tcp', '127.0.0.1:0'], /port between 1 and 65535/],
    [['connect', 'unix-stream', '127.0.0.1:80'], /unix-stream needs a socket path \(\/tmp\/x.sock\) or an abstract name \(@name\)/],
    [['listen', 'unix-dgram', '@'], /abstract Unix name needs at least one character/],
    [['listen', 'unix-seqpacket', `/${'x'.repeat(120)}`], /at most 107 bytes/],
    [['connect', 'tcp', '/tmp/x.sock'], /tcp needs host:port; for a Unix socket use unix-stream/],
  ])('refuses %j', (argv, why) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(why);
  });
});
