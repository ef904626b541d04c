#!/usr/bin/env python3
# A flood from another process for the page benchmark: `count` UDP datagrams
# of `size` bytes to host:port at `rate` per second, on an absolute schedule
# (sent in small bursts each millisecond, catching up when it falls behind).
# Each datagram carries its sequence number in its first 8 bytes. SIGTERM
# ends it early. Prints one JSON line: how many were sent and how long it took.
import json
import signal
import socket
import struct
import sys
import time

host, port, rate, count, size = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sock = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
dest = (host, port)
buf = bytearray(size)
sent = 0
errors = 0
stopped = False


def stop(_signum, _frame):
    global stopped
    stopped = True


signal.signal(signal.SIGTERM, stop)
t0 = time.monotonic()
while sent < count and not stopped:
    due = min(count, int((time.monotonic() - t0) * rate) + 1)
    while sent < due:
        struct.pack_into('!Q', buf, 0, sent)
        try:
            sock.sendto(buf, dest)
            sent += 1
        except OSError:
            errors += 1  # ENOBUFS and the like: tried again on the next tick
            break
    time.sleep(0.001)
seconds = time.monotonic() - t0
print(json.dumps({'sent': sent, 'seconds': seconds, 'errors': errors}))
