// The one table of ICMP and ICMPv6 names: types as the crafter (and Scapy)
// spell them, codes per type (RFC 792, 1122, 1191, 1812, 4443), which types
// are errors that quote a datagram, and the echo types. The layer codecs,
// the reply matcher (answers.ts), ping and traceroute all read it.

/** ICMP type names. */
export const ICMP_TYPES: Readonly<Record<number, string>> = {
  0: 'echo-reply', 3: 'dest-unreach', 4: 'source-quench', 5: 'redirect', 8: 'echo-request', 9: 'router-advertisement',
  10: 'router-solicitation', 11: 'time-exceeded', 12: 'parameter-problem', 13: 'timestamp-request', 14: 'timestamp-reply',
  15: 'information-request', 16: 'information-response', 17: 'address-mask-request', 18: 'address-mask-reply',
  30: 'traceroute', 31: 'datagram-conversion-error', 32: 'mobile-host-redirect', 33: 'ipv6-where-are-you',
  34: 'ipv6-i-am-here', 35: 'mobile-registration-request', 36: 'mobile-registration-reply', 37: 'domain-name-request',
  38: 'domain-name-reply', 39: 'skip', 40: 'photuris',
};

/** ICMPv6 type names. */
export const ICMPV6_TYPES: Readonly<Record<number, string>> = {
  1: 'dest-unreach', 2: 'packet-too-big', 3: 'time-exceeded', 4: 'parameter-problem', 128: 'echo-request', 129: 'echo-reply',
  130: 'mld-query', 131: 'mld-report', 132: 'mld-done', 133: 'router-solicitation', 134: 'router-advertisement',
  135: 'neighbor-solicitation', 136: 'neighbor-advertisement', 137: 'redirect', 143: 'mld2-report',
};

type CodeNames = Readonly<Record<number, Readonly<Record<number, string>>>>;

/** ICMP code names by type: destination unreachable, redirect, time exceeded, parameter problem. */
export const ICMP_CODES: CodeNames = {
  3: {
    0: 'net-unreachable', 1: 'host-unreachable', 2: 'protocol-unreachable', 3: 'port-unreachable', 4: 'fragmentation-needed',
    5: 'source-route-failed', 6: 'destination-network-unknown', 7: 'destination-host-unknown', 8: 'source-host-isolated',
    9: 'network-administratively-prohibited', 10: 'host-administratively-prohibited', 11: 'network-unreachable-for-tos',
    12: 'host-unreachable-for-tos', 13: 'communication-administratively-prohibited', 14: 'host-precedence-violation',
    15: 'precedence-cutoff-in-effect',
  },
  5: { 0: 'redirect-for-network', 1: 'redirect-for-host', 2: 'redirect-for-tos-and-network', 3: 'redirect-for-tos-and-host' },
  11: { 0: 'ttl-exceeded-in-transit', 1: 'fragment-reassembly-time-exceeded' },
  12: { 0: 'pointer-indicates-error', 1: 'missing-required-option', 2: 'bad-length' },
};

/** ICMPv6 code names by type: destination unreachable, time exceeded, parameter problem. */
export const ICMPV6_CODES: CodeNames = {
  1: {
    0: 'no-route-to-destination', 1: 'administratively-prohibited', 2: 'beyond-scope-of-source-address', 3: 'address-unreachable',
    4: 'port-unreachable', 5: 'source-address-failed-policy', 6: 'reject-route-to-destination', 7: 'error-in-source-routing-header',
    8: 'headers-too-long',
  },
  3: { 0: 'hop-limit-exceeded-in-transit', 1: 'fragment-reassembly-time-exceeded' },
  4: {
    0: 'erroneous-header-field', 1: 'unrecognized-next-header', 2: 'unrecognized-ipv6-option', 3: 'incomplete-header-chain',
    4: 'sr-upper-layer-header-error', 5: 'unrecognized-next-header-by-intermediate-node', 6: 'extension-header-too-big',
    7: 'extension-header-chain-too-long', 8: 'too-many-extension-headers', 9: 'too-many-options-in-extension-header',
    10: 'option-too-big',
  },
};

/** Types whose message quotes the offending datagram. */
export const ICMP_ERRORS: readonly number[] = [3, 4, 5, 11, 12];
export const ICMPV6_ERRORS: readonly number[] = [1, 2, 3, 4];

/** The echo request and reply types of each family. */
export const ECHO = { 4: { request: 8, reply: 0 }, 6: { request: 128, reply: 129 } } as const;

/** A type's name ('echo-reply', 'dest-unreach', 'time-exceeded' …), or `type-N` for one without. */
export function icmpTypeName(family: 4 | 6, type: number): string {
  return (family === 4 ? ICMP_TYPES : ICMPV6_TYPES)[type] ?? `type-${type}`;
}

/**
 * A code's name ('port-unreachable', 'ttl-exceeded-in-transit' …); code 0 of
 * a type without codes of its own is named after the type ('source-quench',
 * 'packet-too-big'); anything else is `code-N`.
 */
export function icmpCodeName(family: 4 | 6, type: number, code: number): string {
  const codes = (family === 4 ? ICMP_CODES : ICMPV6_CODES)[type];
  if (codes) return codes[code] ?? `code-${code}`;
  return code === 0 && (family === 4 ? ICMP_TYPES : ICMPV6_TYPES)[type] !== undefined ? icmpTypeName(family, type) : `code-${code}`;
}
