"""`chalice local` with two socket settings fixed; everything else is Chalice's own CLI and server.

- A listen queue of 128 instead of socketserver's 5: 50 simultaneous creates got 25 connection resets.
- TCP_NODELAY on each connection: Chalice's handler writes the headers and the body in two sends, and
  Nagle's algorithm held the body back until the client's delayed ACK, adding ~40 ms to every response.
- Methods Chalice's handler does not list (TRACE, QUERY...) answered by the app (405), not http.server (501).

Used by `make run`, the tests and the benchmarks: `python scripts/chalice_local.py local --stage local ...`.
"""
from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main

local.ThreadedHTTPServer.request_queue_size = 128
local.ChaliceRequestHandler.disable_nagle_algorithm = True


def _any_method(self: local.ChaliceRequestHandler, name: str):  # type: ignore[no-untyped-def]
    """Any other method (TRACE, QUERY, ...) reaches the app, which answers 405 in our error envelope as API
    Gateway would refuse it, instead of http.server's own 501 page."""
    if name.startswith("do_"):
        return self._generic_handle
    raise AttributeError(name)


local.ChaliceRequestHandler.__getattr__ = _any_method  # type: ignore[attr-defined]

if __name__ == "__main__":
    sys.exit(main())
