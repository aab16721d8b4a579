"""moto's server, answering one request at a time.

Real DynamoDB applies a conditional write atomically; moto's threaded server does not, so two concurrent
"put unless it exists" calls could both succeed (seen: 100 simultaneous views from one client counted
twice). Serializing requests restores DynamoDB's guarantee; connections are still accepted concurrently.
Its TransactWriteItems also rolls back per item instead of copying whole tables (see moto_transactions.py).
"""
from __future__ import annotations

import argparse
import threading

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

import moto_transactions

_lock = threading.Lock()


def serialized(app):
    def handle(environ, start_response):
        with _lock:
            return list(app(environ, start_response))  # the whole body, produced inside the lock
    return handle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5005)
    args = parser.parse_args()
    moto_transactions.install()
    run_simple(args.host, args.port, serialized(DomainDispatcherApplication(create_backend_app)), threaded=True,
               request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
