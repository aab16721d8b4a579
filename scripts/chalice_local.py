"""`chalice local` with two socket settings fixed; everything else is Chalice's own CLI and server.

- A listen queue of 128 instead of socketserver's 5: 50 simultaneous creates got 25 connection resets.
- TCP_NODELAY on each connection: Chalice's handler writes the headers and the body in two sends, and
  Nagle's algorithm held the body back until the client's delayed ACK, adding ~40 ms to every response.

Used by `make run`, the tests and the benchmarks: `python scripts/chalice_local.py local --stage local ...`.
"""
from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

local.ThreadedHTTPServer.request_queue_size = 128
local.ChaliceRequestHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.exit(main())
