"""Real Firefox (Debian's firefox-esr) driven over WebDriver BiDi, the protocol built into it: what the Firefox
tests need and nothing more. Playwright and Selenium cannot drive stock Firefox here (Playwright needs its own
patched build, Selenium a geckodriver; neither can be had without downloading at run time), and BiDi from Python
is one WebSocket and a handful of commands: start, install an add-on, answer requests from fixtures,
navigate, evaluate, click as a person does, stop (the process and its profile always go).
"""
from __future__ import annotations

import base64
import itertools
import json
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"
EXTENSION_UUID = "5b0e5c6e-0f1d-4c2a-9a57-2f1f0b6c0d11"


class BiDiError(RuntimeError):
    pass


class Firefox:
    """One headless Firefox with a fresh profile, offline but for loopback; `intercept` answers https requests
    of the tab (chat sites) from a handler, as Playwright's route does for Chromium."""

    def __init__(self, addon_id: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="ff-profile-"))
        prefs = {
            # A fixed origin for the add-on: moz-extension://<uuid>/options.html is known in advance.
            "extensions.webextensions.uuids": json.dumps({addon_id: EXTENSION_UUID}),
            # Offline: every non-loopback host goes to a dead proxy (intercepted requests never reach it).
            "network.proxy.type": 1, "network.proxy.http": "127.0.0.1", "network.proxy.http_port": 9,
            "network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": 9,
            "network.proxy.no_proxies_on": "127.0.0.1,localhost", "network.proxy.allow_hijacking_localhost": False,
            "browser.shell.checkDefaultBrowser": False, "datareporting.policy.dataSubmissionEnabled": False,
            "toolkit.telemetry.reportingpolicy.firstRun": False, "app.update.disabledForTesting": True,
        }
        (self.profile / "user.js").write_text(
            "".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in prefs.items()))
        self.process = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--profile", str(self.profile), "--remote-debugging-port=0",
             "--remote-allow-system-access"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            self._connect(timeout)
        except BaseException:
            self._end_process()  # a Firefox that did not start properly never outlives the test
            raise

    def _connect(self, timeout: float) -> None:
        from websockets.sync.client import connect

        url = self._listening_url()
        # Entered as the context manager it is (websockets deprecates a bare connection), left in stop().
        self._connection = connect(f"{url}/session", max_size=64 * 1024 * 1024, open_timeout=timeout)
        self.socket = self._connection.__enter__()
        self._ids = itertools.count(1)
        self._results: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        self._routes: list[tuple[str, Callable[[str, str], tuple[int, str, str | bytes]]]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.send("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.context = self.send("browsingContext.getTree", {})["contexts"][0]["context"]

    def _listening_url(self) -> str:
        deadline = time.monotonic() + self.timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise BiDiError(f"Firefox exited with {self.process.returncode} before it listened")
            found = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
            if found:
                threading.Thread(target=self._drain, daemon=True).start()
                return found.group(1)
        raise BiDiError(f"Firefox did not listen within {self.timeout} s")

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for _ in self.process.stdout:  # keep its output from filling the pipe
            pass

    def _read(self) -> None:
        try:
            while True:
                message = json.loads(self.socket.recv())
                if "id" in message:
                    with self._lock:
                        waiting = self._results.get(message["id"])
                    if waiting is not None:
                        waiting.put(message)
                elif message.get("type") == "event" and message.get("method") in self._handlers:
                    threading.Thread(target=self._handlers[message["method"]], args=(message["params"],),
                                     daemon=True).start()
        except Exception:  # noqa: BLE001 - the socket closed: stop() is under way
            return

    def send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One command; its result, or BiDiError with Firefox's own message."""
        command_id = next(self._ids)
        answer: queue.Queue[dict[str, Any]] = queue.Queue()
        with self._lock:
            self._results[command_id] = answer
        self.socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        try:
            message = answer.get(timeout=self.timeout)
        except queue.Empty:
            raise BiDiError(f"{method}: no answer within {self.timeout} s") from None
        finally:
            with self._lock:
                self._results.pop(command_id, None)
        if message.get("type") == "error":
            raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
        return message.get("result", {})

    # ------------------------------------------------------------ what the tests do

    def install(self, archive: Path) -> str:
        """Install an add-on package (a temporary add-on: unsigned is fine), as a user installs the .zip."""
        return self.send("webExtension.install", {"extensionData": {"type": "archivePath",
                                                                    "path": str(archive)}})["extension"]

    def intercept(self, url_prefix: str, handler: Callable[[str, str], tuple[int, str, str | bytes]]) -> None:
        """Answer every request of the tab whose URL starts with `url_prefix` (a chat site, which must never be
        reached): handler(method, url) -> (status, content type, body: text, or bytes for an image)."""
        if not self._routes:
            self.send("session.subscribe", {"events": ["network.beforeRequestSent"]})
            self._handlers["network.beforeRequestSent"] = self._on_request
        self._routes.append((url_prefix, handler))
        scheme, host = url_prefix.split("://", 1)
        self.send("network.addIntercept", {"phases": ["beforeRequestSent"], "urlPatterns": [
            {"type": "pattern", "protocol": scheme, "hostname": host.split("/", 1)[0]}]})

    def _on_request(self, params: dict[str, Any]) -> None:
        request = params["request"]
        if not params.get("isBlocked"):
            return
        for prefix, handler in self._routes:
            if request["url"].startswith(prefix):
                status, content_type, body = handler(request["method"], request["url"])
                value = ({"type": "base64", "value": base64.b64encode(body).decode()} if isinstance(body, bytes)
                         else {"type": "string", "value": body})
                self.send("network.provideResponse", {
                    "request": request["request"], "statusCode": status, "reasonPhrase": "OK",
                    "headers": [{"name": "Content-Type", "value": {"type": "string", "value": content_type}}],
                    "body": value})
                return
        self.send("network.continueRequest", {"request": request["request"]})

    def navigate(self, url: str) -> None:
        self.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression: str, context: str | None = None) -> Any:
        """A JavaScript expression in the page (awaited), or in another tab's; its JSON-able value."""
        result = self.send("script.evaluate", {"expression": f"(async () => JSON.stringify(await ({expression})))()",
                                               "target": {"context": context or self.context}, "awaitPromise": True})
        if result.get("type") == "exception":
            raise BiDiError(str(result.get("exceptionDetails", {}).get("text")))
        value = result["result"].get("value")
        return json.loads(value) if isinstance(value, str) else None

    def wait_for(self, expression: str, timeout: float = 20.0) -> Any:
        """Poll a page expression until it is truthy (a condition, not a sleep)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BiDiError(f"not true within {timeout} s: {expression}")
            time.sleep(0.1)

    def wait_for_context(self, url_prefix: str, timeout: float = 20.0) -> str:
        """The tab (browsing context) that has opened a URL starting with `url_prefix`, and finished loading it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for tab in self.send("browsingContext.getTree", {})["contexts"]:
                if tab["url"].startswith(url_prefix):
                    try:
                        if self.evaluate("document.readyState === 'complete'", tab["context"]):
                            return str(tab["context"])
                    except BiDiError:
                        pass  # still navigating
            time.sleep(0.1)
        raise BiDiError(f"no tab opened {url_prefix} within {timeout} s")

    def click(self, box_expression: str) -> None:
        """A person's click (trusted input) at the middle of the box an expression returns ({x, y, width, height})."""
        box = self.wait_for(box_expression)
        x, y = int(box["x"] + box["width"] / 2), int(box["y"] + box["height"] / 2)
        self.send("input.performActions", {"context": self.context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
                {"type": "pointerMove", "x": x, "y": y}, {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0}]}]})

    def stop(self) -> None:
        try:
            self.send("session.end", {})
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self._connection.__exit__(None, None, None)
        finally:
            self._end_process()

    def _end_process(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)
