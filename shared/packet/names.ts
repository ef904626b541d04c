// How traceroute shows a destination unreachable: !N, !H, !P, !F, !S, !X,
// !V, !C or !<code>; '' for port unreachable, which means "reached".

const V4_FLAGS: Readonly<Record<number, string>> = {
  0: '!N', 1: '!H', 2: '!P', 3: '', 4: '!F', 5: '!S', 6: '!N', 7: '!H', 8: '!N',
  9: '!X', 10: '!X', 11: '!N', 12: '!H', 13: '!X', 14: '!V', 15: '!C',
};

const V6_FLAGS: Readonly<Record<number, string>> = {
  0: '!N', 1: '!X', 2: '!S', 3: '!H', 4: '', 5: '!X', 6: '!X',
};

export function unreachableFlag(family: 4 | 6, code: number): string {
  return (family === 4 ? V4_FLAGS : V6_FLAGS)[code] ?? `!${code}`;
}
