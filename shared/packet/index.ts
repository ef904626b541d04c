// Packet layouts and codecs: the Internet checksum, IPv4/IPv6 headers,
// ICMP and ICMPv6 (echo and errors with the packet they quote) and UDP.
// Pure TypeScript: used by main (ping, traceroute) and by the renderer
// (packet views). Parsers return Parsed<T> and never throw; builders throw
// RangeError for a field out of range (their input is the program's own).
// craft/ is the packet crafter's: whole layer stacks, every field editable,
// errors returned as values (its input is the user's).
export * from './result.js';
export * from './checksum.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './udp.js';
export * from './quoted.js';
export * from './icmp.js';
export * from './icmpv6.js';
export * from './names.js';
export * from './craft/index.js';
