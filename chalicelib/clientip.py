"""Who is calling: the client address, as a salted hash (raw addresses are never stored or logged)."""
from __future__ import annotations

try:
    # Keyed BLAKE2 is a proper salted hash, and its builtin module loads without OpenSSL:
    # `hashlib` would add ~7 ms to every cold start, the short-link redirect's included.
    from _blake2 import blake2b
except ImportError:  # a Python built without it
    from hashlib import blake2b


def client_ip(source_ip: str | None, forwarded_for: str | None, trusted_hops: int) -> str:
    """The caller's address.

    With no proxy in front (trusted_hops=0) it is API Gateway's sourceIp, which a client cannot
    forge. Behind N trusted proxies (CloudFront is one) each proxy appends the address it saw to
    X-Forwarded-For, so the client is the entry N places from the right; entries further left
    were written by the client and are ignored.
    """
    source = (source_ip or "").strip() or "unknown"
    if trusted_hops <= 0:
        return source
    chain = [part.strip() for part in (forwarded_for or "").split(",") if part.strip()]
    if not chain or chain[-1] != source:
        chain.append(source)
    index = len(chain) - 1 - trusted_hops
    return chain[max(index, 0)]


def network(ip: str) -> str:
    """The network an address stands for: an IPv6 address's /64 (one subscriber's block, whose addresses a
    person rotates through at will), an IPv4 address itself. What reports count distinct reporters by."""
    import ipaddress  # only reports need it: kept off every request's import path

    try:
        parsed = ipaddress.ip_address(ip.strip().strip("[]"))
    except ValueError:
        return ip
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def ip_hash(ip: str, salt: str) -> str:
    return blake2b(ip.encode(), digest_size=12, key=salt.encode()[:64]).hexdigest()
