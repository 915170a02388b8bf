"""Crash-test child: enqueue continuously until killed, reporting each acknowledged batch.

Usage: ``python crash_child.py DB RUN SEED DURABILITY``. Prints ``READY`` once the queue
is open, then per batch ``BEGIN stream run first last`` just before ``put_many`` and
``ACK segment_id stream run first last`` after it returned. A record is
``struct("<QQ")(run, counter)`` followed by random bytes (incompressible: big pages).
"""

from __future__ import annotations

import os
import random
import struct
import sys

from cad_ml_edge.queue import DurableQueue, Priority, StreamPolicy

STREAMS = (
    StreamPolicy("critical", Priority.CRITICAL),
    StreamPolicy("normal", Priority.NORMAL),
    StreamPolicy("bulk", Priority.LOW),
)
BATCH_SIZES = (1, 10, 100, 1000, 3000)
RECORD = struct.Struct("<QQ")


def main() -> None:
    path, run, seed, durability = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rnd = random.Random(seed)
    queue = DurableQueue(path, streams=STREAMS, compress_level=0, durability=durability)
    out = sys.stdout
    out.write("READY\n")
    out.flush()
    counter = 0
    while True:
        stream = rnd.choice(STREAMS).name
        n = rnd.choice(BATCH_SIZES)
        noise = os.urandom(184 * n)
        payloads = [
            RECORD.pack(run, counter + i) + noise[184 * i : 184 * (i + 1)] for i in range(n)
        ]
        span = f"{stream} {run} {counter} {counter + n - 1}"
        out.write(f"BEGIN {n} {span}\n")
        out.flush()
        segment_id = queue.put_many(stream, payloads)
        out.write(f"ACK {segment_id} {span}\n")
        out.flush()
        counter += n


if __name__ == "__main__":
    main()
