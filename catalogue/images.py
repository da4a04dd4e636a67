"""Product pictures: an upload is checked to be a real JPEG, PNG or WebP image of sensible size and
dimensions, then re-encoded as a JPEG no larger than 800 px on its longest side, without EXIF.

Pillow decodes the upload here and nowhere else; what is stored and served is only ever our own
re-encoding, so metadata (GPS position, camera) and anything hidden in the original never leave."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import InvalidInput

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_UPLOAD_BYTES = 1_500_000  # a request is at most 2 MB (kiosk_api/input_limits.py)
MIN_SIDE_PX = 200
MAX_SIDE_PX = 8000
MAX_PIXELS = 40_000_000
LONGEST_SIDE_PX = 800
JPEG_QUALITY = 85


@dataclass(frozen=True)
class PreparedImage:
    """A picture ready to store: our JPEG encoding, its size in pixels and a name from its content."""

    content: bytes
    width: int
    height: int

    @property
    def filename(self) -> str:
        """A name from the content: the same picture uploaded twice is stored once."""
        return f"{hashlib.sha256(self.content).hexdigest()[:32]}.jpg"


# What each refusal says: Chinese (for pages) and English (the error's field message).
EMPTY = ("文件为空", "the file is empty")
TOO_HEAVY = ("图片不能超过 1.5 MB", f"at most {MAX_UPLOAD_BYTES // 1000} KB")
NOT_AN_IMAGE = ("不是可识别的图片文件", "not an image file")
WRONG_FORMAT = ("只接受 JPEG、PNG 或 WebP 图片", "only JPEG, PNG or WebP images")
TOO_SMALL = (f"图片太小：短边至少 {MIN_SIDE_PX} 像素", f"too small: at least {MIN_SIDE_PX} px a side")
TOO_LARGE = (f"图片尺寸过大：长边不超过 {MAX_SIDE_PX} 像素", f"too large: at most {MAX_SIDE_PX} px a side")
UNDECODABLE = ("图片无法解码", "the image cannot be decoded")
MESSAGES_ZH = {
    en: zh for zh, en in (EMPTY, TOO_HEAVY, NOT_AN_IMAGE, WRONG_FORMAT, TOO_SMALL, TOO_LARGE, UNDECODABLE)
}


def _refuse(message: tuple[str, str]) -> InvalidInput:
    return InvalidInput(f"image: {message[1]}", code="invalid_image", fields={"image": message[1]})


def prepare_image(data: bytes) -> PreparedImage:
    """Check an uploaded picture and re-encode it (longest side 800 px, JPEG, no EXIF)."""
    if not data:
        raise _refuse(EMPTY)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(TOO_HEAVY)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind, (width, height) = probe.format, probe.size
            if kind in ALLOWED_FORMATS and width * height <= MAX_PIXELS:
                probe.verify()  # a truncated or corrupt file fails here, before any decoding
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(NOT_AN_IMAGE) from None
    if kind not in ALLOWED_FORMATS:
        raise _refuse(WRONG_FORMAT)
    if min(width, height) < MIN_SIDE_PX:
        raise _refuse(TOO_SMALL)
    if max(width, height) > MAX_SIDE_PX or width * height > MAX_PIXELS:
        raise _refuse(TOO_LARGE)
    try:
        with Image.open(io.BytesIO(data)) as original:
            picture = ImageOps.exif_transpose(original)  # turn it upright before the EXIF goes
            picture.thumbnail((LONGEST_SIDE_PX, LONGEST_SIDE_PX), Image.Resampling.LANCZOS)
            if picture.mode in ("RGBA", "LA", "P"):
                picture = picture.convert("RGBA")
                flat = Image.new("RGB", picture.size, (255, 255, 255))
                flat.paste(picture, mask=picture.getchannel("A"))
                picture = flat
            elif picture.mode != "RGB":
                picture = picture.convert("RGB")
            out = io.BytesIO()
            picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise _refuse(UNDECODABLE) from None
    return PreparedImage(out.getvalue(), picture.width, picture.height)
