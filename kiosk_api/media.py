"""Pictures uploaded in the console: kept under MEDIA_DIR (default var/media) and served at /media/.

Only our own re-encodings (catalogue/images.py) are written here, each named by its content, so a
file never changes once written and may be cached for good."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

from catalogue.images import PreparedImage

media = Blueprint("media", __name__, url_prefix="/media")
PRODUCT_IMAGES = "products"
ONE_YEAR = 365 * 24 * 3600


def product_image_url(image: PreparedImage) -> str:
    """The address a product's picture will be served at (its image_url)."""
    return f"/media/{PRODUCT_IMAGES}/{image.filename}"


def store_product_image(image: PreparedImage) -> Path:
    """Write a product's picture under MEDIA_DIR, atomically (a reader never sees half a file)."""
    folder = Path(current_app.config["MEDIA_DIR"]) / PRODUCT_IMAGES
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / image.filename
    if path.exists():
        return path  # the same content, stored already
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(image.content)
    os.replace(temporary, path)
    return path


@media.get(f"/{PRODUCT_IMAGES}/<string:filename>")
def product_image(filename: str) -> Response:
    """A product picture uploaded in the console (404 for any other name)."""
    folder = Path(current_app.config["MEDIA_DIR"]) / PRODUCT_IMAGES
    response = send_from_directory(folder, filename, mimetype="image/jpeg", max_age=ONE_YEAR)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response
