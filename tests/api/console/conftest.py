"""Console form tests: uploaded pictures go to a directory of the test's own."""

from __future__ import annotations

import pytest


@pytest.fixture
def media_dir(tmp_path):  # type: ignore[no-untyped-def]
    return tmp_path / "media"


@pytest.fixture
def app_config(media_dir) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {"MEDIA_DIR": str(media_dir)}
