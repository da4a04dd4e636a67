"""The Blueprint every API feature uses."""

from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser


class StrictParser(FlaskParser):
    """Let each schema's own `unknown = RAISE` apply to query strings too, not only to bodies:
    a misspelt filter (?categroy=tea) must be an error, not a silently unfiltered list."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}  # noqa: RUF012 - webargs reads it as a class attribute


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()
