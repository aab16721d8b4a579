"""Personal data out of a donated conversation's text, before the open dataset publishes it (issue 35): the
first part of donation, used by the snapshot job and the owner's preview once they exist.

What is found is replaced by a typed placeholder: `[EMAIL]`, `[PHONE]` (Google's libphonenumber rules, through
`phonenumbers`: a number must be valid where it is written, so a year or a version is not one), `[IP]`
(IPv4 and IPv6 addresses), `[CARD]` (13 to 19 digits that pass the Luhn check), `[SECRET]` (the well-known key
and token formats of `detect-secrets`' regex plugins: AWS, GitHub, GitLab, Slack, Stripe, OpenAI, JWTs,
private keys...) and, in a URL, the value of a query parameter whose name says it is secret (`?token=[SECRET]`).
Names and postal addresses are not detected: the consent and the dataset card say so. Work is linear in the
text: each detector is one pass of a regular expression or of libphonenumber's matcher.
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter
from functools import cache
from typing import NamedTuple

import phonenumbers
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector

# Where a number written without its country code is read as local (a number with +code is read anywhere).
PHONE_REGIONS = ("US", "GB", "FR", "DE", "IN", "BR")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
# A run that could be a phone number: an optional + or (, then digits and separators on one line (at most 15
# digits: checked before parsing). Only these go to libphonenumber.
PHONE_CANDIDATE = re.compile(r"(?<![\w+.])[+(]?\d[\d \t().\-]{5,24}\d(?![\w]|\.\d)")
DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
# libphonenumber parses a text may cost (~20 us each, up to one per region a run): past them every remaining
# run of 7 to 15 digits is replaced unparsed, so a text of numbers costs its size, not seconds a megabyte,
# and errs on the side of the donor.
PHONE_PARSES = 20_000
SECRET_PARAMETER = re.compile(
    r"([?&](?:[\w-]*(?:token|secret|password|passwd|pwd|api[_-]?key|apikey|access[_-]?key|auth|sig|signature|"
    r"session|code|key)[\w-]*)=)([^&#\s\"'<>]+)", re.IGNORECASE)


class Scrubbed(NamedTuple):
    text: str
    found: Counter[str]  # placeholder -> how many were replaced


@cache
def _secret_patterns() -> tuple[re.Pattern[str], ...]:
    """The regexes of detect-secrets' format plugins (not its entropy or keyword ones: they flag ordinary
    words), IPv4 left to our own pass."""
    patterns: list[re.Pattern[str]] = []
    plugins: dict[str, type] = get_mapping_from_secret_type_to_class()
    for name, plugin in plugins.items():
        if issubclass(plugin, RegexBasedDetector) and "IP" not in name:
            patterns += list(plugin().denylist)
    return tuple(patterns)


def scrub(text: str) -> Scrubbed:
    """`text` with personal data replaced by typed placeholders, and how many of each."""
    found: Counter[str] = Counter()

    def replace(pattern: re.Pattern[str], placeholder: str, text: str, keep: object = None) -> str:
        def one(match: re.Match[str]) -> str:
            if keep is not None and not keep(match.group(0)):  # type: ignore[operator]
                return match.group(0)
            found[placeholder] += 1
            return placeholder
        return pattern.sub(one, text)

    def parameter(match: re.Match[str]) -> str:
        found["[SECRET]"] += 1
        return f"{match.group(1)}[SECRET]"

    text = SECRET_PARAMETER.sub(parameter, text)
    for pattern in _secret_patterns():
        text = replace(pattern, "[SECRET]", text)
    text = replace(EMAIL, "[EMAIL]", text)
    text = replace(CARD, "[CARD]", text, keep=_luhn)
    text = replace(IPV4, "[IP]", text, keep=_ip)
    text = replace(IPV6, "[IP]", text, keep=_ip)
    return Scrubbed(_phones(text, found), found)


def _phones(text: str, found: Counter[str]) -> str:
    """Runs of digits and separators that libphonenumber reads as a valid number where it is written (with
    its + code anywhere, else in one of PHONE_REGIONS), replaced in one pass: linear in the text. Its matcher
    over the whole text, once per region, took seconds on prose full of numbers."""
    spans: list[tuple[int, int]] = []
    budget = [PHONE_PARSES]
    for candidate in PHONE_CANDIDATE.finditer(text):
        if _valid_phone(candidate.group(0), budget):
            spans.append(candidate.span())
    if not spans:
        return text
    pieces, at = [], 0
    for start, end in spans:
        pieces += [text[at:start], "[PHONE]"]
        at = end
    found["[PHONE]"] += len(spans)
    return "".join(pieces) + text[at:]


def _valid_phone(candidate: str, budget: list[int]) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or DATE.fullmatch(candidate):  # E.164 has at most 15 digits; a date is no number
        return False
    if budget[0] <= 0:  # past the parses a text may cost: a run that could be a number is taken as one
        return True
    for region in (None,) if candidate.startswith("+") else PHONE_REGIONS:
        budget[0] -= 1
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(candidate, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _luhn(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _ip(candidate: str) -> bool:
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return not (address.version == 6 and candidate.count(":") < 3)  # "12:30:45" is a time, not an address
