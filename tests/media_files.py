"""Real image files for the media tests, made with Pillow as cameras and chat sites make them: a phone JPEG
with GPS in its EXIF, an XMP packet and a comment; a generated PNG with text chunks; and hostile ones."""
from __future__ import annotations

import hashlib
import io
import json
import struct
import urllib.request
import uuid
from typing import Any

GPS_XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
           b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
           b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.3984N" '
           b'exif:GPSLongitude="2,17.7108E"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')


def phone_jpeg(width: int = 64, height: int = 48, orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: EXIF with camera, time and GPS (Paris), orientation `orientation` (6: the
    sensor's landscape shown as portrait), an XMP packet with the position again, and a comment."""
    from PIL import Image

    image = Image.new("RGB", (width, height))
    for x in range(width):  # a gradient, so re-encoding has something to keep
        for y in range(height):
            image.putpixel((x, y), (x * 4 % 256, y * 5 % 256, 128))
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[0x0110] = "iPhone 15"  # Model
    exif[0x0132] = "2026:11:20 09:41:00"  # DateTime
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 23.88), 3: "E", 4: (2.0, 17.0, 42.65)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"shot at home, 12 rue Example", quality=95)
    data = out.getvalue()
    # XMP: an APP1 segment right after SOI, as cameras place it.
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + GPS_XMP
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + segment + data[2:]


def generated_png(width: int = 40, height: int = 30) -> bytes:
    """A PNG as an image generator writes it, with text chunks that carry the prompt and a location."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a lighthouse at dusk")
    info.add_itxt("location", "48.8566,2.3522")
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def scene(seed: int, width: int = 640, height: int = 480, fmt: str = "JPEG", **options) -> bytes:
    """A picture with something in it (blurred shapes over a ground, each seed its own): what a perceptual
    hash must tell apart, unlike a flat fill."""
    import random

    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.ellipse([x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)],
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(2)).save(out, fmt, **({"quality": 95} if fmt == "JPEG" else {}), **options)
    return out.getvalue()


def reencoded(data: bytes, fmt: str = "JPEG", scale: float = 1.0, **options) -> bytes:
    """The picture saved again (as a re-share would: another format, quality or size)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def tiny_gif() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (5, 5), 1).save(out, "GIF", comment=b"gps 48.85,2.35")
    return out.getvalue()


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The first bytes of a PNG, then a web page: passes a naive magic check, is no image.
HTML_WITH_PNG_HEADER = PNG_SIGNATURE + b"<html><script>alert(document.domain)</script></html>"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script>'
       b"<rect width='10' height='10'/></svg>")


def polyglot() -> bytes:
    """A valid PNG with a web page appended: browsers sniffing it could run the page; S3 serves what it has."""
    return generated_png() + b"<html><body><script>alert(document.cookie)</script></body></html>"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def multipart(fields: dict[str, str], data: bytes, filename: str = "image") -> tuple[bytes, str]:
    """A browser's multipart/form-data body: the policy's fields first, the file last (S3 requires it)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_upload(upload: dict[str, Any], data: bytes) -> int:
    """The upload a browser makes with the presigned POST: a real HTTP POST to S3 (moto)."""
    body, content_type = multipart(upload["fields"], data)
    request = urllib.request.Request(upload["url"], data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request) as answer:
        return answer.status


def upload(client, data: bytes, content_type: str, ip: str) -> str:
    """POST /api/media, then upload the bytes if asked to; returns the media id."""
    answer = client.http.post("/api/media", headers={"content-type": "application/json", "x-forwarded-for": ip},
                              body=json.dumps({"sha256": sha(data), "size": len(data), "contentType": content_type}))
    assert answer.status_code == 200, answer.body
    result = json.loads(answer.body)
    if not result["stored"]:
        assert post_upload(result["upload"], data) in (200, 201, 204)
    return result["id"]


# ---------------------------------------------------------------- hostile images (issue 20), made here, never committed

def _gif_frames(data: bytes) -> tuple[bytes, bytes]:
    """(header with its global palette, everything from the first block after it up to the trailer)."""
    flags = data[10]
    start = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    return data[:start], data[start:].rstrip(b";")


def gif_canvas_bomb(side: int = 9000) -> bytes:
    """A 1x1 logical screen whose second frame is side x side: the header's size says 1 pixel, the decoder
    grows its canvas to side^2 (about 60 KB for 9000)."""
    from PIL import Image

    small, big = io.BytesIO(), io.BytesIO()
    Image.new("P", (1, 1), 0).save(small, "GIF")
    Image.new("P", (side, side), 0).save(big, "GIF")
    header, first = _gif_frames(small.getvalue())
    _, second = _gif_frames(big.getvalue())
    return header + first + second + b";"


def gif_of_many_frames(frames: int = 690_000) -> bytes:
    """A 1x1 animation of `frames` frames (just under 10 MB for 690,000): tiny pixels, endless frames."""
    frame = (b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00"  # 1x1 at 0,0, no local palette
             b"\x02\x02\x44\x01\x00")  # LZW: one pixel of colour 0
    return (b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
            + b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00" + frame * frames + b";")


def jpeg_of_repeated_scans(side: int = 6300, repeats: int = 40_000) -> bytes:
    """A progressive JPEG whose one AC scan is repeated `repeats` times (about 1.15 MB for 6300 and 40,000):
    libjpeg decodes every repetition over the whole image."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, "JPEG", progressive=True, quality=90)
    data = out.getvalue()
    scans = [at for at in range(len(data) - 1) if data[at] == 0xFF and data[at + 1] == 0xDA]
    last = scans[-1]  # an AC refinement scan: from its SOS to the EOI
    scan = data[last:-2]
    return data[:-2] + scan * repeats + b"\xff\xd9"


def big_webps(count: int, side: int = 6300) -> list[bytes]:
    """`count` distinct side x side WebPs of one colour (about 100 KB each for 6300): cheap to send, side^2
    pixels each to decode. One encoding (the extended format), told apart by an unknown chunk at the end,
    which readers skip as the format says they must."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (side, side), (40, 80, 160)).save(out, "WEBP", quality=50, method=0, xmp=b"<x/>")
    base = out.getvalue()
    variants = []
    for n in range(count):
        data = base + b"XTRA" + struct.pack("<I", 4) + struct.pack(">I", n)
        variants.append(data[:4] + struct.pack("<I", len(data) - 8) + data[8:])
    return variants


def mpo(width: int = 16, height: int = 12) -> bytes:
    """A two-picture MPO (a camera's stereo pair), which is a JPEG to every sniffer."""
    from PIL import Image

    out = io.BytesIO()
    first, second = Image.new("RGB", (width, height), (200, 30, 30)), Image.new("RGB", (width, height), (30, 30, 200))
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


MARKER = b"<script>alert('marker-7f3c')</script>"


def marked_profile() -> bytes:
    """A valid sRGB ICC profile with the marker appended (its size field says so): a decoder accepts it, and
    a copy of it carries the marker."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + MARKER
    return struct.pack(">I", len(profile)) + profile[4:]


def marked_everywhere(fmt: str) -> bytes:
    """A small image of `fmt` (PNG, JPEG, WEBP, GIF) carrying the marker in every place the format has for
    more than pixels: ICC profile, EXIF, XMP, comment, text chunks, and a trailer after the image's end."""
    from PIL import Image, PngImagePlugin

    image = Image.new("RGB", (24, 16), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010E] = MARKER.decode()  # ImageDescription
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + MARKER + b"</x:xmpmeta>"
    out = io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", MARKER.decode())
        info.add_itxt("XML:com.adobe.xmp", xmp.decode())
        image.save(out, "PNG", pnginfo=info, icc_profile=marked_profile(), exif=exif)
    elif fmt == "JPEG":
        image.save(out, "JPEG", icc_profile=marked_profile(), exif=exif, comment=MARKER, xmp=xmp)
    elif fmt == "WEBP":
        image.save(out, "WEBP", icc_profile=marked_profile(), exif=exif, xmp=xmp, lossless=True)
    else:
        image.convert("P").save(out, "GIF", comment=MARKER)
        # XMP as an application extension after the header and palette, as Adobe's tools write it.
        header, rest = _gif_frames(out.getvalue())
        packet = b"".join(bytes([len(xmp[n:n + 255])]) + xmp[n:n + 255] for n in range(0, len(xmp), 255))
        out = io.BytesIO(header + b"\x21\xff\x0bXMP DataXMP" + packet + b"\x00" + rest + b";")
    return out.getvalue() + MARKER
