// The sessions' N-API addon (main/native, loaded by main/core/addon.ts).
//
// Every call is a synchronous syscall; a failure throws an Error shaped like
// Node's system errors (message "ECONNREFUSED: Connection refused, connect",
// code, errno = -number, syscall). watch() is the only asynchronous part: the
// socket worker watches its sockets with it, and the main process uses it
// through main/engine/wait.ts (readiness) and datagram-reader.ts (a UDP
// session's auto-read), never on a descriptor libuv polls (on a dup of it).
import { loadAddon } from '../core/addon.js';

export type SocketFamily = 'AF_INET' | 'AF_INET6' | 'AF_UNIX';
export type SocketType = 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET';

/** An IP address may carry an IPv6 `%scope` (name or number); an AF_UNIX path
 * starting with '@' is in the abstract namespace, '' is unnamed (autobind). */
export type NativeAddr = { family: 'AF_INET' | 'AF_INET6'; address: string; port: number } | { family: 'AF_UNIX'; path: string };

export interface Received {
  /** Empty on a stream socket means EOF. */
  data: Buffer;
  /** MSG_TRUNC: the datagram was longer than bufsize (datagram/seqpacket). */
  truncated: boolean;
  /** What recvmsg returned: with MSG_TRUNC in flags, a datagram's whole length (optional: the worker's wire omits it). */
  length?: number;
  /** The sender, for unconnected datagram sockets; null when the kernel gives none. */
  from: NativeAddr | null;
}

/** r readable, w writable, h the peer hung up or reset (POLLRDHUP; errors come as `err`). */
export type WatchEvents = 'r' | 'w' | 'rw' | 'h' | 'rh' | 'wh' | 'rwh';

export interface Watcher {
  /** Changes what is watched; '' pauses. Does nothing after stop(). */
  update(events: WatchEvents | ''): void;
  /** Idempotent, safe inside the callback; the watcher no longer keeps the process alive. */
  stop(): void;
}

/** err is 0, or -errno: the socket's pending error (SO_ERROR, cleared by the
 * read) when poll saw POLLERR. After an error the watcher is paused until update(). */
export type WatchCallback = (err: number, readable: boolean, writable: boolean) => void;

export type ErrnoName =
  | 'EAGAIN' | 'EWOULDBLOCK' | 'EINPROGRESS' | 'EALREADY' | 'EISCONN' | 'ENOTCONN' | 'ECONNREFUSED' | 'ECONNRESET'
  | 'ECONNABORTED' | 'EPIPE' | 'ETIMEDOUT' | 'EMSGSIZE' | 'ENOPROTOOPT' | 'EOPNOTSUPP' | 'ENOTSUP' | 'EPROTOTYPE'
  | 'EPROTONOSUPPORT' | 'ESOCKTNOSUPPORT' | 'EPFNOSUPPORT' | 'EAFNOSUPPORT' | 'EADDRINUSE' | 'EADDRNOTAVAIL'
  | 'ENETDOWN' | 'ENETUNREACH' | 'ENETRESET' | 'EHOSTDOWN' | 'EHOSTUNREACH' | 'EDESTADDRREQ' | 'ESHUTDOWN'
  | 'ETOOMANYREFS' | 'ENOTSOCK' | 'EPROTO' | 'ENOBUFS' | 'ENOMEM' | 'EMFILE' | 'ENFILE' | 'EBADF' | 'EINVAL' | 'EINTR'
  | 'EFAULT' | 'EPERM' | 'EACCES' | 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'EROFS' | 'ENAMETOOLONG' | 'ELOOP' | 'EEXIST'
  | 'ENODEV' | 'ENXIO' | 'EIO' | 'ENOSPC' | 'EBUSY' | 'ENOSYS' | 'ENOTTY' | 'ERANGE' | 'EOVERFLOW' | 'ESPIPE' | 'EXDEV'
  | 'ECANCELED' | 'ENONET';

export type ConstantName =
  | 'AF_UNSPEC' | 'AF_INET' | 'AF_INET6' | 'AF_UNIX'
  | 'SOCK_STREAM' | 'SOCK_DGRAM' | 'SOCK_SEQPACKET' | 'SOCK_RAW' | 'SOCK_NONBLOCK' | 'SOCK_CLOEXEC'
  | 'SOL_SOCKET' | 'IPPROTO_IP' | 'IPPROTO_IPV6' | 'IPPROTO_TCP' | 'IPPROTO_UDP'
  | 'SO_REUSEADDR' | 'SO_REUSEPORT' | 'SO_KEEPALIVE' | 'SO_LINGER' | 'SO_RCVBUF' | 'SO_SNDBUF' | 'SO_RCVLOWAT'
  | 'SO_SNDLOWAT' | 'SO_BROADCAST' | 'SO_RCVTIMEO' | 'SO_SNDTIMEO' | 'SO_ERROR' | 'SO_TYPE' | 'SO_ACCEPTCONN'
  | 'SO_DOMAIN' | 'SO_PROTOCOL'
  | 'TCP_NODELAY' | 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT' | 'TCP_MAXSEG' | 'TCP_QUICKACK' | 'TCP_INFO'
  | 'TCP_CONGESTION'
  | 'IP_TTL' | 'IP_TOS' | 'IP_MULTICAST_TTL' | 'IP_MULTICAST_LOOP' | 'IP_MULTICAST_IF'
  | 'IPV6_V6ONLY' | 'IPV6_UNICAST_HOPS' | 'IPV6_MULTICAST_HOPS' | 'IPV6_MULTICAST_LOOP' | 'IPV6_TCLASS'
  | 'MSG_PEEK' | 'MSG_DONTWAIT' | 'MSG_TRUNC' | 'MSG_WAITALL' | 'MSG_NOSIGNAL'
  | 'POLLIN' | 'POLLOUT' | 'POLLERR' | 'POLLHUP' | 'POLLNVAL' | 'POLLPRI' | 'POLLRDHUP'
  | 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'
  | ErrnoName;

export interface NativeSockets {
  /** Always SOCK_CLOEXEC; blocking unless `nonblocking` (Node sets O_NONBLOCK itself on fds it adopts). */
  socket(family: SocketFamily, type: SocketType, protocol?: number, nonblocking?: boolean): number;
  bind(fd: number, addr: NativeAddr): void;
  listen(fd: number, backlog: number): void;
  /** true = connected now; false = EINPROGRESS on a non-blocking socket. */
  connect(fd: number, addr: NativeAddr): boolean;
  /** accept4(SOCK_NONBLOCK | SOCK_CLOEXEC); null when nothing is pending (EAGAIN). */
  accept(fd: number): { fd: number; peer: NativeAddr } | null;
  getsockname(fd: number): NativeAddr;
  getpeername(fd: number): NativeAddr;
  /** Bytes accepted, or null on EAGAIN. MSG_NOSIGNAL is always added. */
  send(fd: number, data: Uint8Array, flags?: number): number | null;
  sendto(fd: number, data: Uint8Array, addr: NativeAddr | null, flags?: number): number | null;
  /** One recvmsg of at most bufsize (0..64 MiB) bytes; null on EAGAIN. */
  recv(fd: number, bufsize: number, flags?: number): Received | null;
  /** Up to `max` (1..64) datagrams in one recvmmsg(MSG_DONTWAIT); null on EAGAIN. `data` holds them back to back,
   * `lengths[i]` is datagram i's; `ageUs[i]` how long ago the kernel received it (SO_TIMESTAMPNS on, else 0);
   * from[i] is the same object as from[i - 1] when the source did not change. */
  recvMany(fd: number, max: number): { data: Buffer; lengths: Uint32Array; ageUs: Uint32Array; from: (NativeAddr | null)[] } | null;
  shutdown(fd: number, how: 0 | 1 | 2): void;
  /** EINTR counts as closed (on Linux the descriptor is gone either way). */
  close(fd: number): void;
  /** F_DUPFD_CLOEXEC */
  dup(fd: number): number;
  setNonBlocking(fd: number, on: boolean): void;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array): void;
  /** Exactly the bytes the kernel wrote, at most maxLen (0..65536). */
  getsockopt(fd: number, level: number, name: number, maxLen: number): Buffer;
  /** poll(2) on one fd: the revents, 0 on timeout; a negative timeout waits forever. */
  poll(fd: number, events: number, timeoutMs: number): number;
  /** uv_poll on the fd (which libuv makes non-blocking). One watcher per fd: a second throws EEXIST,
   * as does an fd libuv already polls (watch a dup of it). Stop it before closing the fd. */
  watch(fd: number, events: WatchEvents, callback: WatchCallback): Watcher;
  /** The platform's numeric values; errno values are positive, as in os.constants.errno. */
  readonly constants: Readonly<Record<ConstantName, number>>;
}

/** What the addon throws for a failed syscall. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as NativeError).code === 'string' && typeof (e as NativeError).errno === 'number' && typeof (e as NativeError).syscall === 'string';
}

const ADDON = 'sockbench_native.node';

let cached: NativeSockets | undefined;

export function native(): NativeSockets {
  cached ??= loadAddon<NativeSockets>(ADDON);
  return cached;
}
