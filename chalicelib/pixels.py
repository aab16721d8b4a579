"""What create does to an uploaded image's bytes: read its structure without decoding it, then re-encode
its pixels, and nothing else, in a confined child process.

`inspect` walks the file's own structure in pure Python, each walk bounded by a step count, and learns
what decoding would cost: the canvas the decoder will really allocate (a GIF frame may reach past the
logical screen, and Pillow grows the canvas to hold it), how many frames, how many JPEG scans. Refusals
here cost milliseconds and no decoding. `reencode` then runs in a sandbox child with a memory ceiling and
what is left of the create's time budget: whatever a file manages to hide from `inspect`, it cannot take
more than that.

What is published is only what the decoder produced: every chunk, segment, profile, comment and trailer of
the upload is dropped. Colour profiles are applied (the pixels converted to sRGB, which browsers assume for
an image without one), not copied: an uploaded ICC profile is arbitrary bytes of the uploader's choosing.
"""
from __future__ import annotations

import io
import re
import struct
from typing import Any, NamedTuple

# A 40 MP frame is a 7,300 x 5,500 photo; nothing a chat site shows is larger.
MAX_PIXELS = 40_000_000
# An animation of more frames than this is not a chat image; it is refused, not cut (cutting would publish
# something the person did not see).
MAX_FRAMES = 300
# Common encoders write 1 to ~20 scans (libjpeg's progressive script 10, mozjpeg a few more); libjpeg-turbo
# advises a limit of hundreds at most, each scan a pass over the whole image's coefficients.
MAX_SCANS = 100
# Real files have tens of chunks, segments or sub-blocks per frame; a file of millions of tiny ones exists
# only to make a parser loop.
_MAX_STEPS = 200_000


class TooComplex(ValueError):
    """The image is readable but decoding it would cost more than a chat image may."""


# Bytes a decode and re-encode of one frame holds per pixel of canvas at its peak, measured on 40 MP images
# (RLIMIT_AS, which counts what is reserved, not only touched): libwebp keeps its canvas, the decoded image
# and the encoder's planes; a progressive JPEG keeps every coefficient (2 bytes a component) beside the image.
_BYTES_PER_PIXEL = {"webp": 19, "jpg": 11, "png": 9, "gif": 7}
# An animation's frames are all held, each as RGBA, while it is encoded again.
_BYTES_PER_FRAME_PIXEL = 5


class Shape(NamedTuple):
    """What decoding an image costs: its canvas, frames and scans (JPEG)."""
    ext: str
    width: int
    height: int
    frames: int = 1
    scans: int = 1

    @property
    def work(self) -> int:
        """Pixels the decoder produces: every frame is drawn on the whole canvas."""
        return self.width * self.height * self.frames

    @property
    def memory(self) -> int:
        """Bytes of memory re-encoding it takes at its peak, about."""
        held = self.work * _BYTES_PER_FRAME_PIXEL if self.frames > 1 else 0
        return self.width * self.height * _BYTES_PER_PIXEL[self.ext] + held


def _unreadable() -> ValueError:
    return ValueError("The upload is not a readable PNG, JPEG, WebP or GIF image.")


def inspect(data: bytes, ext: str) -> Shape:
    """The image's shape from its structure alone (no decoding); ValueError when it is not a readable image
    of that type, TooComplex when a frame, the frame count or the scan count is over its limit."""
    try:
        shape = {"png": _png, "jpg": _jpeg, "gif": _gif, "webp": _webp}[ext](data)
    except (struct.error, IndexError):
        raise _unreadable() from None
    shape = shape._replace(ext=ext)
    if shape.width < 1 or shape.height < 1:
        raise _unreadable()
    if shape.width * shape.height > MAX_PIXELS:
        raise TooComplex(f"The image is {shape.width} x {shape.height} pixels: at most {MAX_PIXELS // 10**6} "
                         "million pixels a frame.")
    if shape.frames > MAX_FRAMES:
        raise TooComplex(f"The animation has more than {MAX_FRAMES} frames.")
    if shape.scans > MAX_SCANS:
        raise TooComplex(f"The JPEG has {shape.scans} scans: at most {MAX_SCANS}.")
    return shape


def _steps() -> range:
    return range(_MAX_STEPS)


def _too_many_steps() -> TooComplex:
    return TooComplex("The image is made of too many tiny pieces to read.")


def _png(data: bytes) -> Shape:
    if data[12:16] != b"IHDR":
        raise _unreadable()
    width, height = struct.unpack_from(">II", data, 16)
    frames, at = 1, 8
    # acTL (how many frames) must come before the first IDAT; Pillow never decodes more frames than it says.
    for _ in _steps():
        length, kind = struct.unpack_from(">I4s", data, at)
        if kind in (b"IDAT", b"IEND"):
            return Shape("png", width, height, frames)
        if kind == b"acTL":
            frames = max(1, struct.unpack_from(">I", data, at + 8)[0])
        at += 12 + length
    raise _too_many_steps()


# Start-of-frame markers: C0-CF but DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> Shape:
    width = height = 0
    at = 2
    for _ in _steps():
        if data[at] != 0xFF:
            raise _unreadable()
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xDA:  # start of scan: the frame header is behind us
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        length = struct.unpack_from(">H", data, at + 2)[0]
        if marker in _SOF:
            frame_height, frame_width = struct.unpack_from(">HH", data, at + 5)
            width, height = max(width, frame_width), max(height, frame_height)
        at += 2 + length
    else:
        raise _too_many_steps()
    # 0xFF 0xDA cannot occur inside entropy-coded data (0xFF is stuffed there as 0xFF 0x00), so this counts
    # every scan of the file, those of any later picture (MPO) too: an upper bound.
    return Shape("jpg", width, height, 1, data.count(b"\xff\xda"))


_GIF_BLOCK = re.compile(rb"[\x21\x2c\x3b]")


def _gif(data: bytes) -> Shape:
    width, height = struct.unpack_from("<HH", data, 6)
    flags = data[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    steps = iter(_steps())
    while at < len(data):
        # Pillow skips bytes that start no block; so do we, but in one search rather than a byte at a time.
        found = _GIF_BLOCK.search(data, at)
        if found is None or data[found.start()] == 0x3B:
            break
        at = found.start()
        if data[at] == 0x21:
            at += 2
        else:
            left, top, frame_width, frame_height, frame_flags = struct.unpack_from("<HHHHB", data, at + 1)
            # Pillow grows the canvas to hold a frame that reaches past the logical screen.
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            frames += 1
            if frames > MAX_FRAMES:
                break
            at += 10 + (3 << ((frame_flags & 7) + 1) if frame_flags & 0x80 else 0) + 1
        while at < len(data):  # data sub-blocks, until the empty one
            if next(steps, None) is None:
                raise _too_many_steps()
            size = data[at]
            at += 1 + size
            if size == 0:
                break
    if frames == 0:
        raise _unreadable()
    return Shape("gif", width, height, frames)


def _webp(data: bytes) -> Shape:
    canvas: tuple[int, int] | None = None
    bitstream: tuple[int, int] | None = None
    frames, at = 0, 12
    for _ in _steps():
        if at + 8 > len(data):
            break
        kind, length = struct.unpack_from("<4sI", data, at)
        body = at + 8
        if kind == b"VP8X":
            canvas = (1 + int.from_bytes(data[body + 4:body + 7], "little"),
                      1 + int.from_bytes(data[body + 7:body + 10], "little"))
        elif kind == b"ANMF":
            frames += 1
            if frames > MAX_FRAMES:
                break
        elif kind == b"VP8 " and bitstream is None:
            frame_width, frame_height = struct.unpack_from("<HH", data, body + 6)
            bitstream = (frame_width & 0x3FFF, frame_height & 0x3FFF)
        elif kind == b"VP8L" and bitstream is None:
            bits = int.from_bytes(data[body + 1:body + 5], "little")
            bitstream = (1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF))
        at = body + length + (length & 1)
    else:
        raise _too_many_steps()
    size = canvas or bitstream
    if size is None:
        raise _unreadable()
    return Shape("webp", size[0], size[1], max(frames, 1))


_PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF"}


def prepare() -> None:
    """Import what `reencode` uses, in the parent: each forked child then starts with it (an import in the
    child would be paid once per image, under its memory ceiling)."""
    from PIL import (  # noqa: F401
        GifImagePlugin,
        Image,
        ImageCms,
        ImageOps,
        ImageSequence,
        JpegImagePlugin,
        PngImagePlugin,
        WebPImagePlugin,
    )

    _srgb()


def reencode(data: bytes, ext: str, frames: int) -> tuple[bytes, int, int]:
    """The image's pixels re-encoded with nothing else: no metadata, no profile (colours converted to sRGB),
    turned upright (the EXIF orientation applied, since the tag that said it is dropped); an animation keeps
    its frames and timing, a multi-picture JPEG (MPO) its first picture. Returns (bytes, width, height);
    ValueError when the bytes are not a readable image of that type. Meant to run in a sandbox child."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    fmt = _PILLOW_FORMATS[ext]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data), formats=[fmt])
            if source.width * source.height > MAX_PIXELS:  # what inspect read, held to again
                raise TooComplex("The image has too many pixels.")
            animated = frames > 1 and fmt != "JPEG" and getattr(source, "n_frames", 1) > 1
            if not animated:
                source.load()
    except (UnidentifiedImageError, OSError, SyntaxError, EOFError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise _unreadable() from exc
    out = io.BytesIO()
    try:
        width, height = _save_animation(source, fmt, out) if animated else _save_still(source, fmt, out)
    except (OSError, SyntaxError, EOFError) as exc:  # a frame that does not decode
        raise _unreadable() from exc
    except (MemoryError, ValueError) as exc:  # an encoder out of memory says "encoding error 1"
        if isinstance(exc, TooComplex):
            raise
        raise TooComplex("The image takes too much memory to process.") from exc
    return out.getvalue(), width, height


# A 64-bit difference hash (dHash) of what an image shows: each bit says whether a pixel of the 9x8
# grey thumbnail is brighter than its right neighbour, so a re-encode, a resize or an appended byte keeps it
# (within a few bits), while different pictures differ in about half. A hash with too few or too many bits
# set is a flat or plain gradient image (a blank screenshot, a colour swatch), which many unrelated images
# share: those are blocked by their exact bytes only.
LOOKS_INFORMATIVE = range(8, 57)


def looks(data: bytes, ext: str) -> int:
    """The dHash of an image's (first) picture, from the bytes `reencode` made (small: read at 1/8 size where
    the codec can). Meant to run in the same sandbox child."""
    from PIL import Image

    with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[ext]]) as image:
        image.draft("L", (64, 64))  # JPEG decodes at a fraction of its size; the others ignore it
        grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
        values = list(grey.tobytes())  # one byte a pixel in mode L
    bits = 0
    for row in range(8):
        for column in range(8):
            bits = (bits << 1) | (values[row * 9 + column] > values[row * 9 + column + 1])
    return bits


def informative(hash_value: int) -> bool:
    """Whether a dHash says enough about a picture to block near copies of it (see LOOKS_INFORMATIVE)."""
    return bin(hash_value).count("1") in LOOKS_INFORMATIVE


def distance(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


def _save_animation(source: Any, fmt: str, out: io.BytesIO) -> tuple[int, int]:
    """Frames and their timing; the profile is dropped without conversion (rare in animations, and GIF frames
    are palettes), nothing else of the source's info is copied."""
    from PIL import ImageSequence

    sequence, durations = [], []
    for frame in ImageSequence.Iterator(source):
        durations.append(int(frame.info.get("duration", 0)))
        copy = frame.copy()
        copy.info = {}
        sequence.append(copy)
    if len(sequence) > MAX_FRAMES:
        raise TooComplex(f"The animation has more than {MAX_FRAMES} frames.")
    options: dict[str, Any] = {"lossless": True, "method": 0} if fmt == "WEBP" else {}
    sequence[0].save(out, fmt, save_all=True, append_images=sequence[1:], duration=durations,
                     loop=int(source.info.get("loop", 0)), **options)
    return sequence[0].size


def _save_still(source: Any, fmt: str, out: io.BytesIO) -> tuple[int, int]:
    from PIL import ImageOps

    icc = source.info.get("icc_profile")
    # Not metadata: which palette entry or colour is see-through.
    transparency = source.info.get("transparency") if fmt in ("PNG", "GIF") else None
    ImageOps.exif_transpose(source, in_place=True)  # in place: a second copy of 40 MP is 160 MB
    image = _to_srgb(source, icc)
    image.info = {}
    options: dict[str, Any] = {}
    if transparency is not None and image.mode in ("P", "L", "RGB"):
        options["transparency"] = transparency
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        options.update(quality=90, optimize=True)
    elif fmt == "WEBP":
        # method 0 is ~3x faster than the default 4 for files of the same size at this quality.
        options.update(quality=90, method=0)
    image.save(out, fmt, **options)
    return image.size


def _to_srgb(image: Any, icc: bytes | None) -> Any:
    """The pixels as sRGB: converted through the image's own profile when it has a usable one; a CMYK image
    becomes RGB either way. A profile that does not parse or fit the mode is ignored, as browsers do."""
    from PIL import ImageCms

    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode == "CMYK":
                return ImageCms.profileToProfile(image, profile, _srgb(), outputMode="RGB")
            ImageCms.profileToProfile(image, profile, _srgb(), inPlace=True)
            return image
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    return image.convert("RGB") if image.mode == "CMYK" else image


_SRGB: list[Any] = []


def _srgb() -> Any:
    from PIL import ImageCms

    if not _SRGB:
        _SRGB.append(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")))
    return _SRGB[0]
