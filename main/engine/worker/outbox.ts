// Messages from the worker to the main process, with backpressure: when the
// IPC channel backs up, the worker stops reading sockets until it drains, so
// a flood costs kernel buffer space (and then the peer's patience), never
// unbounded memory here.
type Send = (msg: object, done: (err: Error | null) => void) => boolean;

/** Pause above this many queued bytes even if the channel still says yes. */
const HIGH = 4 * 1024 * 1024;
/** Resume once the queue is this small again. */
const LOW = 256 * 1024;

export class Outbox {
  private bytes = 0;
  private backedUp = false;

  constructor(
    private readonly send: Send,
    private readonly onResume: () => void,
  ) {}

  /** `size` is the payload's byte count (0 for small control messages). */
  post(msg: object, size = 0): void {
    this.bytes += size;
    const ok = this.send(msg, () => this.sent(size));
    if (!ok || this.bytes > HIGH) this.backedUp = true;
  }

  congested(): boolean {
    return this.backedUp;
  }

  private sent(size: number): void {
    this.bytes -= size;
    if (this.backedUp && this.bytes <= LOW) {
      this.backedUp = false;
      this.onResume();
    }
  }
}
