"""QR codes for the pay screen, rendered to PNG with qrcode and Pillow."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from qrcode.image.pil import PilImage


@lru_cache(maxsize=16)
def qr_png(payload: str, box_size: int = 16, border: int = 4) -> bytes:
    """A black-on-white QR code of payload (error correction M), large enough to scan from a metre."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(payload)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage, fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
