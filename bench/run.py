"""`make bench`: cold start, an AWS call ledger per endpoint, and create latency. Prints figures only.

Everything runs against a moto server this script starts on a free port; nothing is asserted.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import callrecorder, devstack  # noqa: E402

callrecorder.install()  # before the app makes its first AWS call: the cost ledger reads this record

COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "25"))
COLD_ENV: dict[str, str] = {}  # BENCH_TOKEN: an ID token of a bench user, set once one has signed up

COLD_SNIPPETS = {
    "pass": "pass",
    "import chalice": "import chalice",
    "import boto3": "import boto3",
    "(a) import app + short-link redirect": (
        "from app import app\nfrom bench.lambda_event import Context, event\n"
        "r = app(event('GET', '/{conversation_id}', '/AbC12xY', {'conversation_id': 'AbC12xY'}), Context())\n"
        "assert r['statusCode'] == 301"),
    "(b) import app + GET conversation": (
        "from app import app\nfrom bench.lambda_event import Context, event\n"
        "cid = '{cid}'\n"
        "r = app(event('GET', '/api/conversations/{{conversation_id}}', '/api/conversations/' + cid,"
        " {{'conversation_id': cid}}), Context())\n"
        "assert r['statusCode'] == 200, r"),
    # A signed-in request: PyJWT + cryptography, the one-time JWKS fetch (and, locally, finding moto's pool).
    "(c) import app + GET /api/me (verify a session)": (
        "import os\nfrom app import app\nfrom bench.lambda_event import Context, event\n"
        "r = app(event('GET', '/api/me', '/api/me', None,"
        " headers={'cookie': 'sg_session=' + os.environ['BENCH_TOKEN']}),"
        " Context())\n"
        "assert r['statusCode'] == 200, r"),
}


def cold_start(env: dict[str, str], cid: str, first: int | None = None) -> list[tuple[str, float]]:
    """Median wall time, inside a fresh interpreter, from before the imports to the answer.

    The snippets take turns within each round, so drift in the machine's load touches all of them alike.
    """
    codes = {name: ("import time\n_t = time.perf_counter()\n" + snippet.replace("{cid}", cid).replace("{{", "{")
                    .replace("}}", "}") + "\nprint(round((time.perf_counter() - _t) * 1000, 2))\n")
             for name, snippet in list(COLD_SNIPPETS.items())[:first]}
    samples: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(COLD_RUNS):
        for name, code in codes.items():
            out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env, **COLD_ENV},
                                 capture_output=True, text=True, check=True)
            samples[name].append(float(out.stdout.strip().splitlines()[-1]))
    return [(name, statistics.median(values)) for name, values in samples.items()]


def words(n_bytes: int, rng: random.Random) -> str:
    vocabulary = ("the of and to in is for on that with as serverless lambda table index query item cost "
                  "python function return value data cache page view count token").split()
    out, size = [], 0
    while size < n_bytes:
        word = rng.choice(vocabulary) + (str(rng.randrange(10_000)) if rng.random() < 0.3 else "")
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


def conversation(n_bytes: int, rng: random.Random, **extra) -> dict:
    per_message = max(200, n_bytes // 20)
    messages = []
    while sum(len(m["content"]) for m in messages) < n_bytes:
        role = "user" if len(messages) % 2 == 0 else "assistant"
        body = words(per_message, rng)
        if role == "assistant":
            body = f"## Answer\n\n{body}\n\n```python\nprint({len(messages)})\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
        messages.append({"role": role, "content": body})
    return {"title": "Benchmark conversation about serverless tables", "model": "gpt-4o", "messages": messages, **extra}


def main() -> None:
    port = devstack.free_port()
    env = devstack.local_env(port, TABLE_PREFIX="bench", BUCKET_NAME="bench-bucket", TRUSTED_PROXY_HOPS="1",
                             CREATE_LIMIT="100000", MEDIA_LIMIT_PER_HOUR="100000")
    os.environ.update(env)
    # The stack's own JSON log lines (one per request and job) go to a file: this prints the figures alone.
    from chalicelib import accesslog

    print("(The stack's log lines: bench/stack.log)", file=sys.stderr)
    with accesslog.to_file(str(ROOT / "bench/stack.log")):
        moto = devstack.start_moto(port)
        try:
            devstack.create_resources()
            run_dataset(env) if os.environ.get("BENCH_ONLY") == "dataset" else run(env)
        finally:
            devstack.stop(moto)


def run_dataset(env: dict[str, str]) -> None:
    """`BENCH_ONLY=dataset`: the open dataset's snapshot job, then the cold starts it must not change."""
    from chalice.test import Client

    from app import app

    rng = random.Random(7)
    with Client(app, stage_name="local") as client:
        def post(payload: dict) -> dict:
            response = client.http.post("/api/conversations", body=json.dumps(payload), headers={
                "content-type": "application/json", "x-forwarded-for": "198.18.0.1"})
            assert response.status_code == 201, response.body
            return json.loads(response.body)

        dataset_snapshot(post, rng, int(os.environ.get("BENCH_DATASET_N", "400")))
        cid = post(conversation(2_000, rng))["id"]
    for name, ms in cold_start(env, cid, first=5):
        print(f"  cold start, {name}: {ms:.0f} ms")


def dataset_snapshot(post, rng: random.Random, n: int) -> None:
    """The snapshot job over `n` donated conversations of 10 KB (a tenth shared twice): wall time, rows a
    second, peak memory of the process, AWS calls by operation, bytes written; then the model for 1M."""
    import resource
    from collections import Counter as Tally

    from chalicelib import dataset

    licenses = [{"license": "CC0-1.0"}, {"license": "CC-BY-4.0", "attribution": "A. Donor"}]
    for i in range(n):
        body = conversation(10_000, rng, visibility="public", title=f"Donated number {i}")
        post({**body, "dataset": licenses[i % 2]})
        if i % 10 == 0:
            post({**body, "title": f"Shared again {i}", "dataset": licenses[0]})
    class Count(callrecorder.Listener):
        def __init__(self) -> None:
            self.calls: Tally[str] = Tally()

        def after(self, call: callrecorder.Call) -> None:
            self.calls[call.operation] += 1

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with callrecorder.listening(Count()) as counted:
        started = time.perf_counter()
        figures = dataset.snapshot(now=time.time() + 25 * 3600)
        seconds = time.perf_counter() - started
    calls = counted.calls
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n### The open dataset's snapshot ({n} donations of 10 KB, {n // 10} shared twice; moto, one process)\n")
    print(f"  rows {figures['rows']}, duplicates left out {figures['duplicates']}, shards {figures['shards']}, "
          f"{figures['bytes']:,} bytes of Parquet")
    print(f"  {seconds:.1f} s: {figures['rows'] / seconds:.0f} rows/s; process peak {peak:.0f} MB "
          f"(before the job {peak_before:.0f} MB)")
    print("  AWS calls: " + ", ".join(f"{op} {k}" for op, k in sorted(calls.items())))
    from chalicelib import keys

    per_row = seconds / max(figures["rows"], 1)
    shard_minutes = per_row * 1e6 / keys.DATASET_SHARDS / 60
    print(f"  model, 1M donations: {per_row * 1e6 / 3600:.1f} h of one process; {keys.DATASET_SHARDS} shards of "
          f"{1e6 / keys.DATASET_SHARDS:,.0f} rows, {shard_minutes:.0f} min each (Lambda's limit: 15), 16 workers at "
          f"once: {shard_minutes * keys.DATASET_SHARDS / 16:.0f} min in all")


def call_ledger(client, post, headers, rng: random.Random, small: dict, oversized: dict, avatar: str) -> None:
    """The AWS call ledger table: every kind of request once, with its calls, bytes and request units."""
    from bench import edge
    from bench.ledger import recording

    cases = [
        ("short-link redirect", lambda: client.http.get(f"/{small['id']}")),
        ("GET conversation (10 KB)", lambda: client.http.get(f"/api/conversations/{small['id']}")),
        ("GET conversation (oversized, S3 body)", lambda: client.http.get(f"/api/conversations/{oversized['id']}")),
        ("GET list type=new (50 rows)", lambda: client.http.get("/api/conversations?type=new")),
        ("GET list type=top (50 rows)", lambda: client.http.get("/api/conversations?type=top")),
        ("GET list search=serverless", lambda: client.http.get("/api/conversations?search=serverless")),
        ("GET count", lambda: client.http.get("/api/conversations/count")),
        ("POST create (unlisted, 10 KB)", lambda: post(conversation(10_000, rng))),
        ("POST create (public, 10 KB, 6 title words)",
         lambda: post(conversation(10_000, rng, visibility="public"))),
        ("POST create (+ avatar already stored)", lambda: post({**conversation(10_000, rng), "avatarUrl": avatar})),
    ]
    print("## AWS call ledger per request (DynamoDB request units from item sizes; S3 request prices)\n")
    print("| request | calls | operations | bytes | RRU | WRU (of which index writes) | $ per million |")
    print("|---|---|---|---|---|---|---|")

    def line(name, s):
        print(f"| {name} | {s['calls']} | {s['ops']} | {s['bytes']:,} | {s['rru']:g} | "
              f"{s['wru']:g} ({s.get('index_wru', 0):g}) | {s['usd_per_million']:.2f} |")

    measured = {}
    for name, action in cases:
        with recording() as ledger:
            action()
        measured[name] = ledger.summary()
        line(name, measured[name])
    social_ledger(client, post, headers, rng, line)
    image_ledger(client, post, headers, rng, line)
    victim = post(conversation(10_000, rng, visibility="public"))
    with recording() as ledger:
        client.http.delete(f"/api/conversations/{victim['id']}",
                           headers={"authorization": f"Bearer {victim['deleteToken']}"})
    line("DELETE conversation (public, 10 KB)", ledger.summary())
    card_usd = edge.card_miss(client, small["id"], line)
    edge.edge_ledger(client, small["id"], line)
    public = [post(conversation(2_000, rng, visibility="public"))["id"] for _ in range(100)]
    fold = edge.fold_ledger(public, line, rng)
    edge.deferred_fold_ledger(public, line, random.Random(13))
    # Other sizes for the all-in grid, from their own generator so every later figure stays as it was.
    sized = random.Random(11)
    other_sizes = {n: post(conversation(n, sized, visibility="public"))["id"] for n in (2_000, 5_000, 20_000)}
    edge.cost_model(client, small["id"], fold, other_sizes)
    edge.create_cost(post, rng, conversation,
                     measured["POST create (public, 10 KB, 6 title words)"]["usd_per_million"],
                     unlisted_usd=measured["POST create (unlisted, 10 KB)"]["usd_per_million"], card_usd=card_usd)
    edge.delete_paths(client, post, rng, conversation)
    edge.republish_rate(post, rng, conversation)


def photo(rng: random.Random, side: int = 1000) -> bytes:
    """A phone-like JPEG of side×side pixels (noise over a gradient compresses like a photo), with GPS EXIF."""
    import io

    from PIL import Image

    image = Image.effect_noise((side, side), 40).convert("RGB")
    image = Image.blend(image, Image.linear_gradient("L").resize((side, side)).convert("RGB"), 0.5)
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, rng.random() * 60), 3: "E", 4: (2.0, 17.0, 42.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def upload(client, headers, data: bytes, content_type: str = "image/jpeg") -> str:
    """What the extension does: POST /api/media, then the presigned POST straight to S3 (moto)."""
    import hashlib
    import urllib.request
    import uuid

    answer = json.loads(client.http.post("/api/media", headers=headers(), body=json.dumps(
        {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "contentType": content_type})).body)
    if not answer["stored"]:
        boundary = uuid.uuid4().hex
        fields = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                         for k, v in answer["upload"]["fields"].items()).encode()
        body = fields + (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n\r\n'
                         .encode()) + data + f"\r\n--{boundary}--\r\n".encode()
        urllib.request.urlopen(urllib.request.Request(
            answer["upload"]["url"], data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})).read()
    return answer["id"]


def with_images(rng: random.Random, ids: list[str]) -> dict:
    payload = conversation(10_000, rng)
    payload["messages"][0]["content"] = [{"type": "text", "text": "What do these show?"},
                                         *({"type": "image", "name": f"IMG_{n}.jpg", "media": m}
                                           for n, m in enumerate(ids))]
    return payload


def hostile_images(client, headers, rng: random.Random, bodies_too: bool = False) -> None:
    """The images of the outside review (issue 20) and the costliest shapes a create accepts: status and the
    create's time, each image uploaded first (not timed), made by tests/media_files.py. `bodies_too`: the
    hostile bodies' table first."""
    import io

    from PIL import Image

    sys.path.insert(0, str(ROOT / "tests"))
    import media_files as files

    from chalicelib import media, pixels

    if bodies_too:
        pathological(client, headers)

    def noise(side: int, fmt: str, **options) -> bytes:
        out = io.BytesIO()
        Image.effect_noise((side, side), 50).convert("RGB").save(out, fmt, **options)
        return out.getvalue()

    def animation(side: int) -> bytes:
        frames = [Image.new("P", (side, side), n % 200) for n in range(300)]
        out = io.BytesIO()
        frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=40)
        return out.getvalue()

    def generated(n: int) -> bytes:  # what an image generator answers: 1536x1024, a PNG that compresses
        out = io.BytesIO()
        Image.radial_gradient("L").resize((1536, 1024)).convert("RGB").rotate(n).save(out, "PNG")
        return out.getvalue()

    webps = files.big_webps(20)
    cases = [
        ("GIF: 1x1 screen, second frame 9000x9000", [(files.gif_canvas_bomb(), "image/gif")]),
        ("GIF: 690,000 frames of 1x1", [(files.gif_of_many_frames(), "image/gif")]),
        ("progressive JPEG 6300x6300, one AC scan x 40,000", [(files.jpeg_of_repeated_scans(), "image/jpeg")]),
        ("20 distinct 6300x6300 WebPs", [(data, "image/webp") for data in webps]),
        ("two-picture MPO sent as image/jpeg", [(files.mpo(), "image/jpeg")]),
        ("JPEG, PNG, WebP, GIF with a marked ICC profile, EXIF, XMP, comment, trailer",
         [(files.marked_everywhere(fmt), f"image/{fmt.lower()}") for fmt in ("JPEG", "PNG", "WEBP", "GIF")]),
        ("accepted: one 6300x6300 WebP (largest frame, costliest codec)", [(webps[0], "image/webp")]),
        ("GIF of 300 frames of 577x577 (100 MP)", [(animation(577), "image/gif")]),
        ("accepted: 4000x4000 JPEG of noise, 7 MB", [(noise(4000, "JPEG", quality=70), "image/jpeg")]),
        ("accepted: 1600x1600 PNG of noise, 6 MB", [(noise(1600, "PNG"), "image/png")]),
        ("accepted: GIF of 300 frames of 447x447 (60 MP)", [(animation(447), "image/gif")]),
        ("accepted: 20 phone photos of 1 MP", [(photo(rng), "image/jpeg") for _ in range(20)]),
        ("accepted: 20 generated 1536x1024 PNGs (31 MP)", [(generated(n), "image/png") for n in range(20)]),
    ]
    print("\n## Hostile images (create through the in-process app; images uploaded first, not timed)\n")
    print(f"Limits: {pixels.MAX_PIXELS // 10**6} MP a frame, {pixels.MAX_FRAMES} frames, {pixels.MAX_SCANS} scans; "
          f"a create's new images {media.CREATE_PIXELS // 10**6} MP in all, {media.IMAGE_SECONDS:g} s, "
          f"{media.IMAGE_MEMORY // 2**20} MB a child.\n")
    print("| images | bytes | status | ms |")
    print("|---|---|---|---|")
    for name, images in cases:
        ids = [upload(client, headers, data, content_type) for data, content_type in images]
        payload = with_images(rng, ids)
        t = time.perf_counter()
        response = client.http.post("/api/conversations", headers=headers(), body=json.dumps(payload))
        ms = (time.perf_counter() - t) * 1000
        status = f"{response.status_code} {json.loads(response.body)['error']['code']}" \
            if response.status_code >= 400 else str(response.status_code)
        print(f"| {name} | {sum(len(data) for data, _ in images):,} | {status} | {ms:,.0f} |")


def image_ledger(client, post, headers, rng: random.Random, line) -> None:
    """Ledger rows for images: the upload request, a create with 5 new photos (checked, stripped, published),
    the same 5 again (published already), and the delete that removes them."""
    from bench.ledger import recording

    photos = [photo(rng) for _ in range(5)]
    with recording() as ledger:
        first = upload(client, headers, photos[0])
    line("POST media (upload request; the bytes go browser → S3)", ledger.summary())
    ids = [first] + [upload(client, headers, data) for data in photos[1:]]
    with recording() as ledger:
        made = post(with_images(rng, ids))
    line(f"POST create (5 new 1 MP photos, {sum(map(len, photos)) // 1024} KB: checked, stripped, published)",
         ledger.summary())
    with recording() as ledger:
        again = post(with_images(rng, ids))
    line("POST create (the same 5 images, published already)", ledger.summary())
    print("| GET image (/media/…, CloudFront; S3 GetObject on an edge miss only) | 0 Lambda | "
          "cloudfront → s3:GetObject | the image | 0 | 0 | 0.40 per million misses |")
    client.http.delete(f"/api/conversations/{again['id']}", headers={"authorization": f"Bearer {again['deleteToken']}"})
    with recording() as ledger:
        client.http.delete(f"/api/conversations/{made['id']}",
                           headers={"authorization": f"Bearer {made['deleteToken']}"})
    line("DELETE conversation (its 5 images' last one: counters, objects, CDN paths)", ledger.summary())


def images_and_cards(client, post, headers, rng: random.Random) -> None:
    """What images and preview cards add to a create, in ms."""
    from chalicelib import cards

    print("\n## Images and preview cards (in-process app against moto)\n")
    code = ("import time; t=time.perf_counter(); from chalicelib import cards; "
            "cards.render('A title of some length for the card', 'gpt-4o', 'chatgpt', 'words ' * 80); "
            "print((time.perf_counter()-t)*1000)")
    cold = statistics.median(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                   cwd=ROOT, check=True).stdout) for _ in range(3))
    samples = []
    for n in range(15):
        t = time.perf_counter()
        cards.render(f"Conversation number {n} about serverless tables and more", "claude-sonnet-4", "claude",
                     words(600, rng))
        samples.append((time.perf_counter() - t) * 1000)
    print("| what | median ms |")
    print("|---|---|")
    print(f"| draw a 1200×630 card (warm Lambda) | {statistics.median(samples):.1f} |")
    print(f"| draw the first card in a process (Pillow import + fonts) | {cold:.0f} |")
    plain, with_new, with_known = [], [], []
    for _ in range(3):
        t = time.perf_counter()
        post(conversation(10_000, rng))
        plain.append((time.perf_counter() - t) * 1000)
        ids = [upload(client, headers, photo(rng)) for _ in range(5)]
        t = time.perf_counter()
        post(with_images(rng, ids))
        with_new.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        post(with_images(rng, ids))
        with_known.append((time.perf_counter() - t) * 1000)
    print(f"| create, 10 KB, no images (no card: drawn when asked for) | {statistics.median(plain):.0f} |")
    print(f"| create, 10 KB + 5 new 1 MP photos (read, checked, re-encoded, published) | "
          f"{statistics.median(with_new):.0f} |")
    print(f"| create, 10 KB + the same 5 photos (published already) | {statistics.median(with_known):.0f} |")


def run(env: dict[str, str]) -> None:
    from chalice.test import Client

    from app import app

    rng = random.Random(7)
    ip_counter = iter(range(1, 1_000_000))

    def headers(ip: str | None = None) -> dict[str, str]:
        n = next(ip_counter)
        return {"content-type": "application/json", "x-forwarded-for": ip or f"198.18.{n // 250}.{n % 250 + 1}"}

    # A whole 1x1 PNG (the avatar is decoded and re-encoded, so it must be a real image).
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082")
    avatar = "data:image/png;base64," + __import__("base64").b64encode(png).decode()

    with Client(app, stage_name="local") as client:
        def post(payload: dict, ip: str | None = None) -> dict:
            response = client.http.post("/api/conversations", headers=headers(ip), body=json.dumps(payload))
            assert response.status_code == 201, response.body
            return json.loads(response.body)

        if os.environ.get("BENCH_ONLY", "").startswith("hostile"):  # hostile bodies and images, or images alone
            hostile_images(client, headers, rng, bodies_too=os.environ["BENCH_ONLY"] == "hostile")
            return
        # A public corpus to list and search.
        for i in range(60):
            post(conversation(2_000, rng, visibility="public", title=f"Serverless table number {i}"))
        small = post(conversation(10_000, rng, visibility="public"))
        big_text = __import__("base64").b64encode(os.urandom(600_000)).decode()
        oversized = post({"messages": [{"role": "user", "content": "big"}, {"role": "assistant", "content": big_text}]})
        post({**conversation(2_000, rng), "avatarUrl": avatar})  # so the avatar exists
        call_ledger(client, post, headers, rng, small, oversized, avatar)
        if os.environ.get("BENCH_ONLY") == "ledger":  # just the call ledger
            return
        if os.environ.get("BENCH_ONLY") == "images":  # just the images and cards table
            images_and_cards(client, post, headers, rng)
            return

        pathological(client, headers)
        hostile_images(client, headers, rng)
        images_and_cards(client, post, headers, rng)

        print("\n## Create latency (in-process app against the moto server, median of 5)\n")
        print("| body | compressed storage | median ms |")
        print("|---|---|---|")
        for label, size in (("10 KB", 10_000), ("1 MB", 1_000_000), ("5 MB (just under the limit)", 4_900_000)):
            payload = conversation(size, rng)
            raw = json.dumps(payload)
            samples = []
            for _ in range(5):
                t = time.perf_counter()
                created = post(payload)
                samples.append((time.perf_counter() - t) * 1000)
            read = client.http.get(f"/api/conversations/{created['id']}")
            where = "S3" if read and _in_s3(created["id"]) else "DynamoDB"
            print(f"| {label} ({len(raw) / 1e6:.2f} MB JSON, {len(payload['messages'])} messages) | {where} | "
                  f"{statistics.median(samples):.0f} |")

    print("\n## Conversation page (server render in-process against moto, median of 10)\n")
    print("| conversation | render ms | HTML bytes | of which shell |")
    print("|---|---|---|---|")
    with Client(app, stage_name="local") as client:
        for label, size in (("10 KB", 10_000), ("1 MB", 1_000_000)):
            created = json.loads(client.http.post("/api/conversations", headers=headers(),
                                                  body=json.dumps(conversation(size, rng))).body)
            samples, html = [], b""
            for _ in range(10):
                t = time.perf_counter()
                response = client.http.get(f"/c/{created['id']}")
                samples.append((time.perf_counter() - t) * 1000)
                html = response.body
            content = sum(len(m["html"].encode()) for m in json.loads(
                client.http.get(f"/api/conversations/{created['id']}").body)["messages"])
            print(f"| {label} | {statistics.median(samples):.1f} | {len(html):,} | {len(html) - content:,} |")
    print_shell_bytes()

    lighthouse(env, rng)

    print(f"\n## Cold start (fresh interpreter, median of {COLD_RUNS} interleaved rounds; imports + one answer)\n")
    figures = cold_start(env, small["id"])
    chalice_ms = dict(figures)["import chalice"]
    print("| what | median ms | vs import chalice |")
    print("|---|---|---|")
    for name, ms in figures:
        print(f"| {name} | {ms:.1f} | {ms / chalice_ms:.2f}x |")


LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
                "--no-first-run --disable-sync --proxy-server=http://127.0.0.1:9")


def pathological(client, headers) -> None:
    """Hostile bodies at the largest size the API accepts: refused in linear time, or rendered in bounded time."""
    from chalicelib.complexity import MAX_DEPTH, MAX_MARKUP, html_markup, markdown_markup
    from chalicelib.settings import get

    sys.path.insert(0, str(ROOT / "tests"))
    from long_chat import long_deepseek_chat

    limit = get().max_body_bytes - 1000
    paragraph = "plain words of an ordinary answer " * 8 + "\n\n"
    filler = paragraph * (limit // len(paragraph))

    def html(value: str) -> dict:
        return {"items": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": value}]}

    def md(*contents: str) -> dict:
        return {"messages": [m for c in contents for m in ({"role": "user", "content": "q"},
                                                         {"role": "assistant", "content": c})]}

    def fill(unit: str, html: bool = False, reserve: int = 100, room: int = limit - 500) -> str:
        """`unit` repeated to just under the markup budget (less `reserve` for the rest of the body), or to
        `room` bytes (the largest body the API accepts) if that comes first."""
        cost = (html_markup if html else markdown_markup)(unit * 1000) / 1000
        return unit * min(int((MAX_MARKUP - reserve) / cost), room // len(json.dumps(unit)[1:-1]))

    text = filler[: limit * 2 // 5]
    nested = "<div>" * MAX_DEPTH + "x" + "</div>" * MAX_DEPTH
    cases = [
        ("HTML `<div>` x 1,000,000 (the 80 KB shape at 5 MB)", html("<div>" * (limit // 5))),
        ("HTML `<b><i>` x 500,000", html("<b><i>" * (limit // 6))),
        ("Markdown `<` x 5,000,000", md("<" * limit)),
        ("Markdown `[` x 5,000,000", md("[" * limit)),
        (f"HTML nested {MAX_DEPTH} deep, repeated to the markup budget", html(fill(nested, html=True))),
        ("HTML `<p>x</p>` to the markup budget", html(fill("<p>x</p>", html=True))),
        ("Markdown table rows to the budget, + 4 MB of text", md(
            text, "|a|b|\n|-|-|\n" + fill("|x|y|\n", reserve=2 * markdown_markup(text) + 400,
                                          room=limit - 2 * len(json.dumps(text)) - 500), text)),
        ("Markdown autolinks `<a@b.c>` to the budget", md(fill("<a@b.c> "))),
        ("Markdown `*a` to the budget", md(fill("*a"))),
        ("Markdown `_a` to the budget", md(fill("_a "))),
        ("Markdown `![` to the budget", md(fill("!["))),
        ("Markdown `[a](` to the budget", md(fill("[a]("))),
        ("Markdown `` `a `` to the budget", md(fill("`a"))),
        ("Markdown `~~a` to the budget", md(fill("~~a"))),
        ("Markdown `&amp;` to the budget", md(fill("&amp;"))),
        ('Markdown `"` to the budget', md(fill('"'))),
        ("ordinary text, 4.9 MB in 40 messages", md(*[filler[: limit // 21]] * 20)),
        # Math: the openers scanned for a closing delimiter, and formulas converted to MathML (math budget).
        ("Markdown `\\(` (unclosed inline math) to the budget", md(fill("\\( "))),
        ("Markdown `\\[` (unclosed display math) to the budget", md(fill("\\[ "))),
        ("Markdown `\\(` unclosed, its `\\)` in the next paragraph", md(fill("\\(", reserve=300) + "\n\n\\)")),
        ("Markdown `$x` (unclosed dollars) to the budget", md(fill("$x "))),
        ("Markdown `$x$` (tiny formulas) to the budget", md(fill("$x$ "))),
        ("Markdown `\\(\\frac{a}{b}\\)` to the budget", md(fill("\\(\\frac{a}{b}\\) "))),
        ("Markdown formulas of 3,900 characters to the budget", md(fill("\\(" + "x^2" * 1300 + "\\) "))),
        ("Markdown: 24 Python fences of 150 KB", md(*[("```python\n" + "x = 1\n" * 25_000 + "```")] * 24)),
        ("Blocks: 450 code blocks of 9 KB in one turn", {"messages": [{"role": "assistant", "content": [
            {"type": "code", "language": "python", "code": "x = 1\n" * 1500, "output": "1"}] * 450}]}),
        # Not hostile: the long real chat the old budget refused (tests/long_chat.py builds it).
        ("real-shaped DeepSeek chat: 1,000 messages of real answers", json.loads(long_deepseek_chat())),
    ]
    print("\n## Hostile bodies (create through the in-process app; one run each)\n")
    print(f"Limits: body 5 MB, nesting {MAX_DEPTH}, markup budget {MAX_MARKUP:,} units per conversation.\n")
    print("| body | bytes | status | ms |")
    print("|---|---|---|---|")
    for name, payload in cases:
        raw = json.dumps(payload)
        t = time.perf_counter()
        response = client.http.post("/api/conversations", headers=headers(), body=raw)
        ms = (time.perf_counter() - t) * 1000
        status = f"{response.status_code} {json.loads(response.body)['error']['code']}" \
            if response.status_code >= 400 else str(response.status_code)
        print(f"| {name} | {len(raw):,} | {status} | {ms:,.0f} |")


def social_ledger(client, post, headers, rng: random.Random, line) -> None:
    """Accounts, saves and comments: what each signed-in request costs."""
    from bench.ledger import recording
    from chalicelib import settings

    site = settings.get().site_url
    response = client.http.post("/signup", headers={**headers(), "origin": site}, body=json.dumps(
        {"email": "bench@example.test", "password": "bench password", "name": "Bench"}))
    assert response.status_code == 201, response.body
    cookies = {v.split("=", 1)[0]: v.split("=", 1)[1].split(";", 1)[0] for v in response.headers["Set-Cookie"]}
    COLD_ENV["BENCH_TOKEN"] = cookies["sg_session"]
    session = {"cookie": f"sg_session={cookies['sg_session']}", "origin": site}

    def call(method: str, path: str, body: object = None):
        answer = getattr(client.http, method.lower())(path, headers={**headers(), **session},
                                                       body=json.dumps(body) if body is not None else None)
        assert answer.status_code < 300, (path, answer.status_code, answer.body)
        return json.loads(answer.body) if answer.body else None

    call("GET", "/api/me")  # the JWKS, once per process, before measuring
    owned = json.loads(client.http.post("/api/conversations", headers={**headers(), **session},
                                        body=json.dumps(conversation(10_000, rng))).body)["id"]
    others = [post(conversation(2_000, rng))["id"] for _ in range(20)]
    for cid in others[:10]:
        call("POST", f"/api/conversations/{cid}/save")
    first = call("POST", f"/api/conversations/{owned}/comments", {"position": 1, "content": "first"})
    cases = [
        ("GET /api/me (session verified, warm)", lambda: call("GET", "/api/me")),
        ("POST save", lambda: call("POST", f"/api/conversations/{owned}/save")),
        ("POST save (again: no change)", lambda: call("POST", f"/api/conversations/{owned}/save")),
        ("DELETE save", lambda: call("DELETE", f"/api/conversations/{owned}/save")),
        ("GET /api/me/saves (10 saved)", lambda: call("GET", "/api/me/saves")),
        ("GET /api/me/status (20 ids)", lambda: call("GET", "/api/me/status?ids=" + ",".join(others))),
        ("GET /api/me/conversations", lambda: call("GET", "/api/me/conversations")),
        ("POST comment", lambda: call("POST", f"/api/conversations/{owned}/comments",
                                      {"position": 1, "content": "**light** Markdown"})),
        ("POST reply", lambda: call("POST", f"/api/conversations/{owned}/comments",
                                    {"position": 1, "content": "a reply", "parentId": first["id"]})),
        ("GET comments (3)", lambda: call("GET", f"/api/conversations/{owned}/comments")),
        ("DELETE comment (with its reply)",
         lambda: call("DELETE", f"/api/conversations/{owned}/comments/{first['id']}")),
        ("PATCH title + public (6 title words)", lambda: call("PATCH", f"/api/conversations/{owned}", {
            "title": "Serverless tables cost almost nothing idle", "visibility": "public"})),
    ]
    for name, action in cases:
        with recording() as ledger:
            action()
        line(name, ledger.summary())
    call("POST", f"/api/conversations/{owned}/save")
    call("POST", f"/api/conversations/{owned}/comments", {"position": 0, "content": "one more"})
    with recording() as ledger:
        call("DELETE", f"/api/conversations/{owned}")
    line("DELETE as owner (public; 1 save, 1 comment)", ledger.summary())


def lighthouse(env: dict[str, str], rng: random.Random) -> None:
    """Lighthouse scores of the real `chalice local` pages in Debian's Chromium (skipped if either is missing)."""
    if not LIGHTHOUSE.exists() or not Path("/usr/bin/chromium").exists():
        print("\n(Lighthouse skipped: run `make bench`, which installs it, on a machine with /usr/bin/chromium.)")
        return
    port = devstack.free_port()
    site = f"http://127.0.0.1:{port}"
    server = devstack.start_chalice(port, {**env, "SITE_URL": site})
    try:
        created = json.loads(subprocess.run(
            ["curl", "-s", "-X", "POST", f"{site}/api/conversations", "-H", "Content-Type: application/json",
             "-d", json.dumps(conversation(10_000, rng, visibility="public"))],
            capture_output=True, text=True, check=True).stdout)
        print("\n## Lighthouse 12 (Debian Chromium, headless, loopback)\n")
        print("| page | performance | accessibility | best practices | SEO |")
        print("|---|---|---|---|---|")
        for label, path in (("conversation (10 KB)", f"/c/{created['id']}"), ("explore", "/explore"), ("home", "/")):
            out = ROOT / "tests" / "artifacts" / "lighthouse.json"
            out.parent.mkdir(exist_ok=True)
            subprocess.run([str(LIGHTHOUSE), site + path, "--quiet", f"--chrome-flags={CHROME_FLAGS}",
                            "--only-categories=performance,accessibility,best-practices,seo", "--output=json",
                            f"--output-path={out}"], env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
                           check=True, capture_output=True, timeout=180)
            scores = {k: round(v["score"] * 100) for k, v in json.loads(out.read_text())["categories"].items()}
            print(f"| {label} | {scores['performance']} | {scores['accessibility']} | {scores['best-practices']} | "
                  f"{scores['seo']} |")
    finally:
        devstack.stop(server)


def print_shell_bytes() -> None:
    """What a first visit downloads beyond the conversation itself: the HTML shell and the static files."""
    import gzip

    from chalicelib.pages import STATIC

    print("\n| static file | bytes | gzip bytes |")
    print("|---|---|---|")
    total = total_gz = 0
    for path in sorted(STATIC.iterdir()):
        data = path.read_bytes()
        total += len(data)
        total_gz += len(gzip.compress(data))
        print(f"| {path.name} | {len(data):,} | {len(gzip.compress(data)):,} |")
    print(f"| all static files | {total:,} | {total_gz:,} |")


def _in_s3(conversation_id: str) -> bool:
    from chalicelib import aws, settings

    listed = aws.s3().list_objects_v2(Bucket=settings.get().bucket, Prefix=f"bodies/{conversation_id}/")
    return listed.get("KeyCount", 0) > 0


if __name__ == "__main__":
    main()
