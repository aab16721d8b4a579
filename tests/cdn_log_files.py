"""CloudFront access-log files as CloudFront writes them, made here (not with the code under test): the
legacy standard log's 33 tab-separated fields, and a standard logging v2 file whose fields the deployer chose
(another order, fewer of them). Both start with `#Version` and `#Fields` lines and are gzipped."""
from __future__ import annotations

import gzip
import itertools
import time
from typing import Any
from urllib.parse import quote

# The standard log's fields, in CloudFront's documented order.
LEGACY_FIELDS = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
                 "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
                 "cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "
                 "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "
                 "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start "
                 "sc-range-end").split()
# A v2 delivery with chosen fields: what the fold needs and a few more, not in the legacy order.
V2_FIELDS = ("date time c-ip cs-method cs-uri-stem sc-status cs(User-Agent) x-edge-location "
             "x-edge-result-type sc-bytes cs(Host)").split()

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
DISCORD = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"
_request_ids = itertools.count(1)


def hit(cid: str, ip: str, when: float, *, agent: str = FIREFOX, status: int = 200, method: str = "GET",
        path: str | None = None) -> dict[str, str]:
    """One logged request of /c/<cid> (or `path`), its values as CloudFront writes them."""
    stamp = time.gmtime(when)
    return {"date": time.strftime("%Y-%m-%d", stamp), "time": time.strftime("%H:%M:%S", stamp),
            "x-edge-location": "FRA56-P1", "sc-bytes": "14211", "c-ip": ip, "cs-method": method,
            "cs(Host)": "d111111abcdef8.cloudfront.net", "cs-uri-stem": path or f"/c/{cid}", "sc-status": str(status),
            "cs(Referer)": "-", "cs(User-Agent)": quote(agent, safe="/;:()+,"), "cs-uri-query": "-",
            "cs(Cookie)": "-", "x-edge-result-type": "Hit",
            "x-edge-request-id": f"{next(_request_ids):08d}SAMPLEREQUESTID==", "x-host-header": "share.example",
            "cs-protocol": "https", "cs-bytes": "412", "time-taken": "0.002", "x-forwarded-for": "-",
            "ssl-protocol": "TLSv1.3", "ssl-cipher": "TLS_AES_128_GCM_SHA256", "x-edge-response-result-type": "Hit",
            "cs-protocol-version": "HTTP/2.0", "fle-status": "-", "fle-encrypted-fields": "-", "c-port": "53412",
            "time-to-first-byte": "0.002", "x-edge-detailed-result-type": "Hit",
            "sc-content-type": "text/html;%20charset=utf-8", "sc-content-len": "14000", "sc-range-start": "-",
            "sc-range-end": "-"}


def log_file(rows: list[dict[str, str]], fields: tuple[str, ...] | list[str] = LEGACY_FIELDS,
             separator: str = "\t") -> bytes:
    header = "#Version: 1.0\n#Fields: " + " ".join(fields) + "\n"
    body = "".join(separator.join(row[name] for name in fields) + "\n" for row in rows)
    return gzip.compress((header + body).encode())


def put_log(aws: Any, bucket: str, rows: list[dict[str, str]], name: str | None = None, **kwargs: Any) -> str:
    """Drop a log file under cdn-logs/ as CloudFront names them: `<distribution>.<YYYY-MM-DD-HH>.<unique>.gz`."""
    hour = rows[0]["date"] + "-" + rows[0]["time"][:2] if rows else "2026-01-01-00"
    key = f"cdn-logs/E2EXAMPLE.{hour}.{name or format(next(_request_ids), 'x')}.gz"
    aws["s3"].put_object(Bucket=bucket, Key=key, Body=log_file(rows, **kwargs))
    return key
