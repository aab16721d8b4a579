"""`make run`: moto server + tables + bucket + user pool + `chalice local`; views folded from the local
access logs every few seconds.

Data lives in the moto process's memory only: stopping `make run` erases it.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import devstack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument("--moto-port", type=int, default=5005)
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="1: a few demo conversations; N > 1: also N realistic generated ones")
    parser.add_argument("--persist", metavar="PATH", help="keep the data in PATH across restarts")
    parser.add_argument("--rollup-seconds", type=float, default=10.0)
    args = parser.parse_args()

    for port, name in ((args.port, "PORT"), (args.moto_port, "MOTO_PORT")):
        problem = devstack.port_problem(port, name)
        if problem:
            print(problem, file=sys.stderr)
            return 1
    # `kill`/`timeout` send SIGTERM: leave through `finally` so neither server is orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = devstack.local_env(args.moto_port, SITE_URL=f"http://127.0.0.1:{args.port}")
    os.environ.update(env)
    moto = chalice = None
    try:
        moto = devstack.start_moto(args.moto_port, persist=args.persist)
        devstack.create_resources()
        if os.environ.get("MODERATOR_EMAIL") and os.environ.get("MODERATOR_PASSWORD"):
            devstack.create_moderator(os.environ["MODERATOR_EMAIL"], os.environ["MODERATOR_PASSWORD"])
            print(f"Moderator: {os.environ['MODERATOR_EMAIL']} (sign in at /signin, then /moderation).", flush=True)
        if args.seed:
            from scripts.seed import seed
            started = time.monotonic()
            if args.seed > 1:
                print(f"Seeding {args.seed:,} conversations...", flush=True)
            count = seed(args.seed, progress=True)
            print(f"Seeded {count:,} conversations in {time.monotonic() - started:.0f} s.", flush=True)
        chalice = devstack.start_chalice(args.port, env, log=None)
        print(f"\n  API:          http://127.0.0.1:{args.port}/api/conversations"
              f"\n  OpenAPI:      http://127.0.0.1:{args.port}/api/openapi.json"
              f"\n  Accounts:     http://127.0.0.1:{args.port}/signup  (moto's Cognito: confirmed at once, "
              f"reset codes shown on the page)"
              f"\n  Moto (AWS):   http://127.0.0.1:{args.moto_port}  "
              + (f"(saved to {args.persist} when this stops)" if args.persist
                 else "(in memory: gone when this stops)") +
              f"\n  Views are folded from cdn-logs/ every {args.rollup_seconds:g} s.  Ctrl-C stops everything.\n",
              flush=True)
        from chalicelib import jobs
        while chalice.poll() is None and moto.poll() is None:
            time.sleep(args.rollup_seconds)
            jobs.fold_views()
        print("A server stopped unexpectedly.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        # Saving 10,000 conversations takes a few seconds: give moto time to finish writing.
        devstack.stop(chalice, moto, timeout=120)


if __name__ == "__main__":
    sys.exit(main())
