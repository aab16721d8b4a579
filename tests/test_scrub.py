"""The open dataset's scrubbing (chalicelib/scrub.py, issue 35): planted personal data is replaced by typed
placeholders; ordinary numbers (a year, a version, a time, an order number) are left as they are."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.unit

PLANTED = """Write to jane.doe+work@example.co.uk, or call +1 (415) 555-0132 (US) or 01 42 68 53 00 (Paris).
The server is 203.0.113.77, its IPv6 2001:db8::8a2e:370:7334. Pay with 4111 1111 1111 1111 (a Visa test number).
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE; git clone https://ghp_1234567890abcdefghijABCDEFGHIJ123456@github.com/a/b
Reset it at https://example.com/reset?token=abc123def&lang=en."""


def test_planted_personal_data_is_replaced_by_typed_placeholders():
    from chalicelib.scrub import scrub

    result = scrub(PLANTED)
    for secret in ("jane.doe", "415", "555-0132", "42 68 53 00", "203.0.113.77", "2001:db8", "4111",
                   "AKIAIOSFODNN7EXAMPLE", "ghp_", "abc123def"):
        assert secret not in result.text, secret
    assert result.found == {"[EMAIL]": 1, "[PHONE]": 2, "[IP]": 2, "[CARD]": 1, "[SECRET]": 3}
    assert "https://example.com/reset?token=[SECRET]&lang=en" in result.text  # the link stays, its secret goes
    assert result.text.startswith("Write to [EMAIL], or call [PHONE] (US) or [PHONE] (Paris).")


def test_ordinary_numbers_are_left_alone():
    from chalicelib.scrub import scrub

    text = ("Python 3.11.4 came out in 2023; we met at 12:30:45 on 2026-12-07. Order #1234567, 1,250 users, "
            "ISBN 978-3-16-148410-0, a 1234 5678 9012 3456 that fails the Luhn check, and 999.999.999.999.")
    assert scrub(text) == (text, {})


def test_a_text_of_numbers_costs_a_bounded_number_of_parses(monkeypatch):
    """Prose full of number-like runs: libphonenumber is asked at most PHONE_PARSES times (then each run of 7 to
    15 digits is replaced unparsed, erring on the donor's side), so the work stays linear in the text."""
    from chalicelib import scrub as module

    calls = []
    real = module.phonenumbers.parse
    monkeypatch.setattr(module.phonenumbers, "parse", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(module, "PHONE_PARSES", 600)
    out = module.scrub("411 4111 x " * 1000)
    assert len(calls) <= 600 + len(module.PHONE_REGIONS)
    assert out.text.count("[PHONE]") == 1000 - (600 // len(module.PHONE_REGIONS))
