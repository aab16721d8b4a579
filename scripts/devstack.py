"""The local stack: a moto server (DynamoDB + S3 in memory) and `chalice local`, as used by
`make run`, the tests and the benchmarks. Nothing here is deployed."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def local_env(moto_port: int, **extra: str) -> dict[str, str]:
    """Environment for anything talking to the local moto server (fake credentials, fixed region)."""
    return {
        "STAGE": "local",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        **extra,
    }


def wait_until_up(url: str, process: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    """Poll `url` until it answers at all (any HTTP status), or fail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def start_moto(port: int, log=subprocess.DEVNULL) -> subprocess.Popen:
    """moto's server (DynamoDB, S3, CloudFormation... in memory), one request at a time like DynamoDB's
    atomic conditional writes (see moto_serial.py)."""
    process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "moto_serial.py"), "-H", "127.0.0.1",
                                "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/moto-api/", process)
    return process


def create_resources() -> None:
    """Tables and bucket from the same model definitions production uses (env must point at moto)."""
    from chalicelib import aws, models, settings

    models.create_tables()
    client = aws.s3()
    bucket = settings.get().bucket
    if bucket not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=bucket)
    # In the cloud CloudFront serves avatars from the private bucket; locally the browser reads
    # them from moto directly, so only avatars/* is readable without credentials.
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": f"arn:aws:s3:::{bucket}/avatars/*"}]}))


def start_chalice(port: int, env: dict[str, str], log=subprocess.DEVNULL) -> subprocess.Popen:
    """The real `chalice local` process (no autoreload: that would fork a second server)."""
    process = subprocess.Popen(
        [str(BIN / "chalice"), "local", "--stage", "local", "--host", "127.0.0.1", "--port", str(port),
         "--no-autoreload"],
        cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/", process)
    return process


def stop(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
    for process in processes:
        if process is not None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
