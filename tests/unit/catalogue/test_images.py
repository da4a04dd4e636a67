"""An uploaded product picture is checked and re-encoded: upright, at most 800 px, JPEG, no EXIF."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from catalogue.images import prepare_image
from core.errors import InvalidInput


def encoded(size: tuple[int, int], kind: str, **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, kind, **save)
    return out.getvalue()


def test_a_photo_taken_sideways_is_turned_upright_before_its_exif_goes() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x8825] = {2: (31.0, 14.0, 0.0)}  # a GPS latitude
    prepared = prepare_image(encoded((1600, 1200), "JPEG", exif=exif.tobytes()))
    assert (prepared.width, prepared.height) == (600, 800)
    with Image.open(io.BytesIO(prepared.content)) as saved:
        assert saved.format == "JPEG" and saved.size == (600, 800) and not saved.getexif()


def test_a_webp_is_accepted_and_a_small_enough_picture_keeps_its_size() -> None:
    prepared = prepare_image(encoded((640, 480), "WEBP"))
    assert (prepared.width, prepared.height) == (640, 480)
    assert prepared.filename.endswith(".jpg") and len(prepared.filename) == 36


def test_the_same_picture_gets_the_same_name() -> None:
    data = encoded((900, 900), "PNG")
    assert prepare_image(data).filename == prepare_image(data).filename


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "the file is empty"),
        (b"GIF89a not really", "not an image file"),
        (encoded((300, 300), "BMP"), "only JPEG, PNG or WebP images"),
        (encoded((8100, 300), "PNG"), "too large: at most 8000 px a side"),
        (encoded((199, 900), "PNG"), "too small: at least 200 px a side"),
    ],
)
def test_what_is_no_usable_picture_is_refused_naming_the_image(data: bytes, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        prepare_image(data)
    assert refused.value.fields == {"image": why}
