"""The jobs' tests drive kiosks through the Flask test client, as the kiosk API tests do."""

from tests.api.kiosk.conftest import door_kiosk, provision, vend_kiosk  # noqa: F401  (fixtures)
