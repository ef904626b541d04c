// The shape both child-process protocols share (the socket worker's,
// main/engine/worker/worker-protocol.ts, and the raw helper's,
// main/raw/helper-protocol.ts): requests { rid, op, args } answered by
// replies { rid, ok, result | error }, plus events { event, … }. Pure code
// with no imports, so the child processes' bundles can carry it.

/** A refused call, shaped like Node's system errors: errno negative; code BAD_REQUEST for a malformed request. */
export interface CallFailure {
  code: string;
  errno: number;
  message: string;
  syscall?: string;
}

export type ChildReply = { rid: number | null; ok: true; result: unknown } | { rid: number | null; ok: false; error: CallFailure };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRid = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 1;
const isInt32 = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= -(2 ** 31) && (v as number) <= 2 ** 31 - 1;

export const isCallFailure = (v: unknown): v is CallFailure =>
  isObj(v) && typeof v.code === 'string' && v.code.length <= 64 && isInt32(v.errno) &&
  typeof v.message === 'string' && v.message.length <= 1024 && (v.syscall === undefined || typeof v.syscall === 'string');

/** Why a message is not a well-formed reply, or null when it is one. */
export function replyProblem(m: unknown): string | null {
  if (!isObj(m) || !('rid' in m) || !('ok' in m)) return 'not a reply';
  if (m.rid !== null && !isRid(m.rid)) return 'bad rid';
  if (m.ok === true) return 'result' in m ? null : 'reply without result';
  return m.ok === false && isCallFailure(m.error) ? null : 'bad error in reply';
}
