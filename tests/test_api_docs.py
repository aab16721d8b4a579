"""Every curl example in docs/api.md's "Try every endpoint" runs as written against the real `chalice local`:
each command through bash and the real curl, the ids and keys a reader would copy from an answer filled in
from that answer, each answer a success (and the status the example states, where it states one)."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import uuid
from pathlib import Path

import awscalls
import pytest
from conftest import new_ip

pytestmark = pytest.mark.api

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
# A line a reader fills in from the answer above it: which field of that answer each name takes.
FROM_ANSWER = {"ID": "id", "TOKEN": "deleteToken", "COMMENT": "id"}


def _blocks() -> list[list[str]]:
    section = DOC.read_text().split("## Try every endpoint", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.S | re.M)  # fences on lines of their own
    commands = []
    for block in blocks:
        joined = re.sub(r"\\\n\s*", " ", block)  # continuation lines
        lines, pending = [], ""
        for line in joined.splitlines():
            if not pending and (not line.strip() or line.strip().startswith("#")):
                continue
            pending = f"{pending}\n{line}" if pending else line.strip()
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # a quoted JSON body goes on over the next lines
                continue
            lines.append(pending)
            pending = ""
        assert not pending, pending
        commands.append(lines)
    return commands


def test_the_docs_hold_examples_for_every_area():
    every = " ".join(" ".join(block) for block in _blocks())
    for route in ("/signin", "/signup", "/comments", "/save", "-X PATCH", "/api/reports", "/api/moderation/actions",
                  "/api/moderation/reports", "/api/moderation/log", "-X DELETE"):
        assert route in every, route


def test_every_curl_example_runs_as_written(chalice_local, tmp_path):
    from scripts import devstack

    suffix = uuid.uuid4().hex[:8]
    moderator = f"mod-{suffix}@example.test"
    with awscalls.paused():  # the operator's set-up (as `make run MODERATOR_EMAIL=...`), not the app's calls
        devstack.create_moderator(moderator, "moderate carefully", "Mod")
    variables = {"API": chalice_local, "IP": new_ip()}
    # The docs' addresses, made unique to this run (the accounts must be new; the moderator is the one above).
    renamed = {"ada@example.com": f"ada-{suffix}@example.test", "mod@example.com": moderator}
    for block in _blocks():
        answer: object = None
        for command in block:
            if command.startswith("API="):
                continue
            assignment = re.fullmatch(r"((?:[A-Z]+=\S+;?\s*)+)(#.*)?", command)
            if assignment:
                for name in re.findall(r"([A-Z]+)=", assignment.group(1)):
                    assert isinstance(answer, dict) and FROM_ANSWER[name] in answer, (command, answer)
                    variables[name] = str(answer[FROM_ANSWER[name]])
                continue
            for docs_value, value in renamed.items():
                command = command.replace(docs_value, value)
            own_format = " -w " in command
            script = ('curl() { command curl -sS -H "X-Forwarded-For: $IP" -w "\\n%{http_code}" "$@"; }\n'
                      if not own_format else 'curl() { command curl -sS -H "X-Forwarded-For: $IP" "$@"; }\n') + command
            result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", **variables},
                                    capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, (command, result.stderr)
            output = result.stdout.strip()
            if own_format:  # the example prints the status itself ("204", "301 <location>")
                status = int(output.split()[0])
            else:
                body, _, code = output.rpartition("\n")
                status = int(code)
                try:
                    answer = json.loads(body.split("\r\n\r\n")[-1]) if body else None
                except json.JSONDecodeError:
                    answer = None
            assert status < 400, (command, output[:500])
            stated = re.search(r"# -> (\d{3})\b", command) or re.search(r"#\s*(\d{3})\s*$", command)
            if stated:
                assert status == int(stated.group(1)), (command, output[:300])


def test_a_signed_in_write_without_origin_says_which_header_to_send(chalice_local, tmp_path):
    """An API client that signs in with cookies and writes without `Origin` is told what to send, not to reload
    a page it never had."""
    email = f"noorigin-{uuid.uuid4().hex[:8]}@example.test"

    def curl(*args: str) -> str:
        return subprocess.run(["curl", "-sS", "-H", f"X-Forwarded-For: {new_ip()}", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60).stdout

    curl("-c", "jar", "-X", "POST", f"{chalice_local}/signup", "-H", "Content-Type: application/json",
         "-H", f"Origin: {chalice_local}", "-d", json.dumps({"email": email, "password": "a long password",
                                                              "name": "No origin"}))
    refused = json.loads(curl("-b", "jar", "-X", "POST", f"{chalice_local}/api/conversations",
                              "-H", "Content-Type: application/json", "-d", json.dumps(
                                  {"messages": [{"role": "user", "content": "hi"}]})))
    assert refused["error"]["code"] == "csrf"
    assert f"Origin: {chalice_local}" in refused["error"]["message"] and "docs/api.md" in refused["error"]["message"]
    signin = json.loads(curl("-X", "POST", f"{chalice_local}/signin", "-H", "Content-Type: application/json",
                             "-d", json.dumps({"email": email, "password": "a long password"})))
    assert signin["error"]["code"] == "csrf" and "Origin:" in signin["error"]["message"]
