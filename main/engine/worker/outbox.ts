// Messages from the worker to the main process, with flow control by credit:
// the main process acknowledges the data bytes it has taken in, and while
// more than HIGH bytes are unacknowledged the worker stops reading sockets,
// until it is back under LOW. A flood then costs kernel buffer space (and
// then the peer's patience), never unbounded memory in either process. The
// same works over a forked child's IPC and Electron's utilityProcess port,
// which offers no "sent" callback.
type Send = (msg: object) => void;

/** Pause above this many unacknowledged bytes. */
const HIGH = 4 * 1024 * 1024;
/** Resume once this few are unacknowledged. */
const LOW = 256 * 1024;

export class Outbox {
  private unacked = 0;
  private backedUp = false;

  constructor(
    private readonly send: Send,
    private readonly onResume: () => void,
  ) {}

  /** `size` is the payload's byte count (0 for small control messages, which need no ack). */
  post(msg: object, size = 0): void {
    this.unacked += size;
    this.send(msg);
    if (this.unacked > HIGH) this.backedUp = true;
  }

  /** The main process took in `bytes` more. */
  acked(bytes: number): void {
    this.unacked = Math.max(0, this.unacked - bytes);
    if (this.backedUp && this.unacked <= LOW) {
      this.backedUp = false;
      this.onResume();
    }
  }

  congested(): boolean {
    return this.backedUp;
  }
}
