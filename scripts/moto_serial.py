"""moto's server, answering one request at a time.

Real DynamoDB applies a conditional write atomically; moto's threaded server does not, so two concurrent
"put unless it exists" calls could both succeed (seen: 100 simultaneous views from one client counted
twice). Serializing requests restores DynamoDB's guarantee; connections are still accepted concurrently.
Two patches keep it fast at size: TransactWriteItems rolls back per item instead of copying whole tables
(moto_transactions.py), and a Query reads its partition instead of sorting the whole table (moto_query.py).

With --persist PATH, the DynamoDB, S3 and Cognito state is restored from PATH at start (if it exists) and
saved there on a clean stop (SIGTERM or Ctrl-C), written whole to a temporary file and then renamed, so a
crash mid-save leaves the previous copy. moto's backends are plain Python objects that pickle (S3 keys
bring their own pickling), so this is pickle; a file from another moto version may not load, and is then
set aside with a warning rather than used.
"""
from __future__ import annotations

import argparse
import os
import pickle
import signal
import sys
import threading

import moto_query
import moto_transactions
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_lock = threading.Lock()


def serialized(app):
    def handle(environ, start_response):
        with _lock:
            return list(app(environ, start_response))  # the whole body, produced inside the lock
    return handle


PERSISTED = ("dynamodb", "s3", "cognito-idp")


def _load_pem_key(pem: bytes):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, None)


def _picklable_keys() -> None:
    """Cognito's user pools hold an RSA signing key, which pickles as its PEM bytes."""
    import copyreg

    from cryptography.hazmat.bindings._rust import openssl as rust_openssl
    from cryptography.hazmat.primitives import serialization

    def reduce(key):  # type: ignore[no-untyped-def]
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return _load_pem_key, (pem,)

    copyreg.pickle(rust_openssl.rsa.RSAPrivateKey, reduce)


def save(path: str) -> None:
    """Every persisted service's backends, by account and region, pickled to `path` (atomically)."""
    from moto.backends import get_backend

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)  # a second signal must not interrupt the save
    _picklable_keys()
    with _lock:  # never in the middle of a request
        state = {name: {account: dict(regions.items()) for account, regions in get_backend(name).items()}
                 for name in PERSISTED}
        temporary = f"{path}.tmp"
        with open(temporary, "wb") as out:
            pickle.dump(state, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)


def restore(path: str) -> None:
    from moto.backends import get_backend

    if not os.path.exists(path):
        return
    try:
        with open(path, "rb") as saved:
            state = pickle.load(saved)
    except Exception as exc:  # noqa: BLE001 - an unreadable file must not stop the server
        os.replace(path, f"{path}.unreadable")
        print(f"moto: could not restore {path} ({exc}); moved it to {path}.unreadable", file=sys.stderr)
        return
    for name, accounts in state.items():  # (after pickle.load: the keys come back through _load_pem_key)
        live = get_backend(name)
        for account, regions in accounts.items():
            for region, backend in regions.items():
                dict.__setitem__(live[account], region, backend)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5005)
    parser.add_argument("--persist", metavar="PATH", help="restore state from PATH and save it there on stop")
    args = parser.parse_args()
    moto_transactions.install()
    moto_query.install()
    if args.persist:
        restore(args.persist)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # leave through `finally` below
    try:
        run_simple(args.host, args.port, serialized(DomainDispatcherApplication(create_backend_app)),
                   threaded=True, request_handler=MotoRequestHandler)
    except KeyboardInterrupt:
        pass
    finally:
        if args.persist:
            save(args.persist)


if __name__ == "__main__":
    main()
