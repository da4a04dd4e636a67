"""The WSGI entry point for gunicorn: the app built from the environment.

In production mode (DONGXI_ENV=production) a worker will not serve an unsafe configuration, however
gunicorn was started: the settings `dongxi check-config --production` refuses stop it here too (the
connection checks are check-config's; a database or Redis that is down now may be back soon)."""

from kiosk_api import config, create_app

_settings = config.from_environment()
if config.is_production(_settings) and (_found := config.problems(_settings, production=True)):
    raise SystemExit("dongxi: not serving in production mode:\n" + "\n".join(f"! {p}" for p in _found))

app = create_app()
