// The part of raw-socket 1.8.1 (index.js) the helper uses.
declare module 'raw-socket' {
  import type { EventEmitter } from 'node:events';

  export interface SocketOptions {
    protocol?: number;
    addressFamily?: number;
    bufferSize?: number;
  }

  export interface Socket extends EventEmitter {
    /** Queued; beforeCallback runs right before the sendto() syscall. */
    send(buffer: Buffer, offset: number, length: number, address: string, beforeCallback: () => void, afterCallback: (error: Error | null, bytes: number) => void): this;
    setOption(level: number, option: number, value: number): void;
    setOption(level: number, option: number, value: Buffer, length: number): void;
    /** Returns the option's length; the value is written into `value`. */
    getOption(level: number, option: number, value: Buffer, length: number): number;
    close(): this;
    pauseRecv(): this;
    resumeRecv(): this;
    on(event: 'message', fn: (buffer: Buffer, source: string) => void): this;
    on(event: 'error', fn: (error: Error) => void): this;
    on(event: 'close', fn: () => void): this;
  }

  const raw: {
    createSocket(options?: SocketOptions): Socket;
    AddressFamily: { IPv4: number; IPv6: number };
    Protocol: { None: number; ICMP: number; TCP: number; UDP: number; ICMPv6: number };
    SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number; IPPROTO_IPV6: number };
    SocketOption: Record<string, number>;
  };
  export default raw;
}
