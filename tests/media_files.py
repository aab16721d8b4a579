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
