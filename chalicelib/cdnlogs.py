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
from collections.abc import Iterable, Iterator
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
# What the stack's log delivery writes (infra/stack.yaml pins these RecordFields; a test holds the two equal):
# the fields the fold reads and a few that explain a line. Every byte of a line is paid for ($0.25 a GB).
DELIVERED_FIELDS = ("date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status", "cs(User-Agent)",
                    "x-edge-location", "x-edge-result-type", "sc-bytes", "x-host-header")
# CloudFront writes one gzip member a file; a file of concatenated logs has a few. A file of thousands (a
# crafted one: 4 MB of empty members took 19 s to read) is set aside: each member costs a new decompressor.
MAX_MEMBERS = 64
CHUNK = 256 * 1024
# One line longer than this is not a log line (a file without newlines): the file is set aside.
MAX_LINE = 64 * 1024
# CloudFront's files are a few MB; a file that inflates past this is not a log (a compression bomb of
# newlines would keep the fold busy for nothing): it is set aside there, its lines before that counted.
MAX_INFLATED = 1024 ** 3


class OddFile(ValueError):
    """A file the fold sets aside (a log line says why): a bad gzip stream, too many members, a runaway line."""


class Request(NamedTuple):
    """One logged request: what the view count needs of it."""
    when: float  # epoch seconds
    ip: str
    method: str
    path: str
    status: int
    user_agent: str


def parse(data: bytes) -> Iterator[Request]:
    """The requests in a log file (gzip or plain) held in memory; see `parse_stream`."""
    return parse_stream([data])


def parse_stream(chunks: Iterable[bytes]) -> Iterator[Request]:
    """The requests in a log file (gzip or plain) read chunk by chunk, whatever its size, in memory bounded by
    a chunk and a line; by its `#Fields:` line (a new one mid-file applies from there on); lines it cannot
    read are skipped. Lines end at "\n" only (a Unicode line separator inside a user agent is not a line's
    end). Raises OddFile where the file stops being readable (the requests before it were yielded)."""
    columns: dict[str, int] = {}
    for raw in _lines(_inflate_stream(iter(chunks))):
        line = raw.decode("utf-8", "replace").rstrip("\r")
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


def _lines(blocks: Iterator[bytes]) -> Iterator[bytes]:
    pending = b""
    for block in blocks:
        pending += block
        *complete, pending = pending.split(b"\n")
        yield from complete
        if len(pending) > MAX_LINE:
            raise OddFile(f"a line of more than {MAX_LINE:,} bytes")
    if pending:
        yield pending


def _inflate_stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """gzip (CloudFront's, of one or a few members) or plain text, inflated as it streams in."""
    first = next(chunks, b"")
    if first[:2] != b"\x1f\x8b":
        if first:
            yield first
        yield from chunks
        return
    gunzip = _Gunzip()
    try:
        yield from gunzip.feed(first)
        for chunk in chunks:
            yield from gunzip.feed(chunk)
        yield from gunzip.finish()
    except zlib.error as exc:
        raise OddFile(f"a bad gzip stream ({exc})") from None


class _Gunzip:
    """Inflates gzip members one after another, each piece of output at most CHUNK, within the file's bounds."""

    def __init__(self) -> None:
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.members, self.inflated = 1, 0

    def _out(self, out: bytes) -> bytes:
        self.inflated += len(out)
        if self.inflated > MAX_INFLATED:
            raise OddFile(f"more than {MAX_INFLATED:,} bytes inflated")
        return out

    def feed(self, pending: bytes) -> Iterator[bytes]:
        while pending:
            out = self.inflater.decompress(pending, CHUNK)
            if out:
                yield self._out(out)
            if not self.inflater.eof:
                pending = self.inflater.unconsumed_tail
                continue
            # The next member starts in what is left (a copy of at most one chunk: members are few).
            pending = self.inflater.unused_data
            if not pending.strip(b"\x00"):
                return
            self.members += 1
            if self.members > MAX_MEMBERS:
                raise OddFile(f"more than {MAX_MEMBERS} gzip members")
            self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def finish(self) -> Iterator[bytes]:
        rest = self.inflater.flush()
        if rest:
            yield self._out(rest)
        if not self.inflater.eof:
            raise OddFile("a gzip stream cut short")


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
