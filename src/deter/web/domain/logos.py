"""An agency's logo for its letterhead: what upload is accepted, and what is kept of it.

An upload is accepted only if Pillow reads it as a PNG or a JPEG (by its content, whatever its
name or the browser's content type say), it is at most ``MAX_BYTES`` and its sides at most
``MAX_SIDE`` pixels (so a small file cannot unpack into a huge image). What is kept is the
pixels alone, re-encoded as PNG: no metadata (a photograph's location), no trailing bytes, no
second image hidden after the first.
"""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError

MAX_BYTES = 1024 * 1024
MAX_SIDE = 2000
FORMATS = {"PNG": "PNG", "JPEG": "JPEG"}


@dataclass(frozen=True)
class CheckedLogo:
    png: bytes
    width: int
    height: int


def check_logo(content: bytes, name: str = "the file") -> CheckedLogo:
    """The logo's pixels as PNG, or ``ValidationError`` on the ``logo`` field saying why."""
    from PIL import Image, UnidentifiedImageError

    if not content:
        raise ValidationError({"logo": f"{name} is empty: choose a PNG or JPEG image"})
    if len(content) > MAX_BYTES:
        raise ValidationError({"logo": f"{name} is {len(content) / 1024 / 1024:.1f} MB: the "
                                       f"logo must be 1 MB or smaller"})
    try:
        with Image.open(io.BytesIO(content)) as probe:
            kind, (width, height) = probe.format, probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as error:
        raise ValidationError({"logo": f"{name} is not a PNG or JPEG image Deter can "
                                       "read"}) from error
    if kind not in FORMATS:
        raise ValidationError({"logo": f"{name} is a {kind} image: the logo must be a PNG or "
                                       "a JPEG"})
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValidationError({"logo": f"{name} is {width} by {height} pixels: the logo must "
                                       f"be at most {MAX_SIDE} pixels wide and high"})
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            pixels = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P"
                                   else "RGB")
    except (OSError, ValueError) as error:
        raise ValidationError({"logo": f"{name} is damaged: its image could not be "
                                       "read"}) from error
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=True)
    return CheckedLogo(out.getvalue(), width, height)
