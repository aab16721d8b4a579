"""CloudFront's access logs (W3C format, gzip): reading them for the view count, and writing them locally.

Deployed, CloudFront's standard logging (v2) writes the files to the stage's private log bucket. `make run` has
no CloudFront, so every /c/<id> the local stack serves writes a file of its own in the same format under
`cdn-logs/` of the stage bucket; the fold reads every file under the prefix, whoever wrote it. Files are read
by their `#Fields:` line, as CloudFront writes it, never by a fixed column order: CloudFront has added fields
over the years and v2 lets the deployer choose them.
"""
from __future__ import annotations

import calendar
import gzip
import io
import secrets
import time
import zlib
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import unquote

from . import settings
from .aws import s3

# The fields of CloudFront's standard log, in its own order (what the local stack writes).
FIELDS = ("date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)", "cs-uri-stem",
          "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)", "x-edge-result-type",
          "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes", "time-taken", "x-forwarded-for",
          "ssl-protocol", "ssl-cipher", "x-edge-response-result-type", "cs-protocol-version", "fle-status",
          "fle-encrypted-fields", "c-port", "time-to-first-byte", "x-edge-detailed-result-type",
          "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end")
# A log file is a few MB at most; more than this (compressed or not) is not a CloudFront log.
MAX_FILE_BYTES = 64 * 1024 * 1024


class Request(NamedTuple):
    """One logged request: what the view count needs of it."""
    when: float  # epoch seconds
    ip: str
    method: str
    path: str
    status: int
    user_agent: str


def parse(data: bytes) -> Iterator[Request]:
    """The requests in a log file (gzip or plain), by its `#Fields:` line; lines it cannot read are skipped."""
    text = _inflate(data).decode("utf-8", "replace")
    columns: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            if line.startswith("#Fields:"):
                columns = {name: at for at, name in enumerate(line[len("#Fields:"):].split())}
            continue
        if not columns or not line.strip():
            continue
        values = line.split("\t") if "\t" in line else line.split()
        request = _request(values, columns)
        if request is not None:
            yield request


def _request(values: list[str], columns: dict[str, int]) -> Request | None:
    def field(name: str) -> str:
        at = columns.get(name)
        return values[at] if at is not None and at < len(values) else "-"

    try:
        when = float(calendar.timegm(time.strptime(f"{field('date')} {field('time')}", "%Y-%m-%d %H:%M:%S")))
        status = int(field("sc-status"))
    except (ValueError, OverflowError):
        return None
    # CloudFront URL-encodes the user agent (and, in some versions, encodes it twice).
    agent = unquote(unquote(field("cs(User-Agent)")))
    return Request(when, field("c-ip"), field("cs-method"), field("cs-uri-stem"), status, agent)


def _inflate(data: bytes) -> bytes:
    """gzip (CloudFront's) or plain text, never more than MAX_FILE_BYTES however the file is built."""
    if data[:2] != b"\x1f\x8b":
        return data[:MAX_FILE_BYTES]
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, MAX_FILE_BYTES)
    # A file of several gzip members (as concatenated logs are): inflate each, within the same bound.
    while inflater.eof and inflater.unused_data and len(out) < MAX_FILE_BYTES:
        rest = inflater.unused_data
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out += inflater.decompress(rest, MAX_FILE_BYTES - len(out))
    return out


def format_file(rows: list[dict[str, str]]) -> bytes:
    """A gzipped log file in CloudFront's W3C format; each row gives some FIELDS, the rest are '-'."""
    lines = ["#Version: 1.0", "#Fields: " + " ".join(FIELDS)]
    lines += ["\t".join(row.get(name, "-") or "-" for name in FIELDS) for row in rows]
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))
    return buffer.getvalue()


def log_row(when: float, ip: str, method: str, path: str, status: int, user_agent: str, size: int,
            host: str = "-") -> dict[str, str]:
    """One request as CloudFront writes it (the user agent URL-encoded, as CloudFront does)."""
    from urllib.parse import quote

    stamp = time.gmtime(when)
    return {"date": time.strftime("%Y-%m-%d", stamp), "time": time.strftime("%H:%M:%S", stamp),
            "x-edge-location": "LOCAL", "sc-bytes": str(size), "c-ip": ip, "cs-method": method, "cs(Host)": host,
            "cs-uri-stem": path, "sc-status": str(status), "cs(User-Agent)": quote(user_agent or "-", safe=""),
            "x-edge-result-type": "Miss", "x-edge-request-id": secrets.token_urlsafe(24), "x-host-header": host,
            "cs-protocol": "http", "time-taken": "0.001", "cs-protocol-version": "HTTP/1.1",
            "sc-content-type": "text/html"}


def write_local(rows: list[dict[str, str]]) -> str:
    """Write requests as one log file under the log prefix of the stage bucket, named as CloudFront names its
    files (`<distribution>.<YYYY-MM-DD-HH>.<unique>.gz`); returns its key. Only the local stack does this."""
    cfg = settings.get()
    hour = rows[0]["date"] + "-" + rows[0]["time"][:2]
    key = f"{cfg.log_prefix}LOCAL.{hour}.{secrets.token_hex(8)}.gz"
    s3().put_object(Bucket=cfg.log_bucket, Key=key, Body=format_file(rows), ContentType="application/gzip")
    return key
