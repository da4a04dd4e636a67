"""One session per request: created on first use, committed once if the response succeeded."""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database


def get_db() -> Database:
    return current_app.extensions["dongxi.db"]


def get_session() -> Session:
    """Return this request's session (the unit of work the request commits)."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


def get_clock() -> Clock:
    return current_app.extensions["dongxi.clock"]


def init_app(app: Flask, db: Database, clock: Clock) -> None:
    app.extensions["dongxi.db"] = db
    app.extensions["dongxi.clock"] = clock

    @app.after_request
    def _commit(response: Response) -> Response:
        from kiosk_api.errors import error_response

        session: Session | None = g.pop("db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        except IntegrityError:
            session.rollback()
            return error_response(409, "conflict", "the change conflicts with data written meanwhile")
        except OperationalError:
            session.rollback()
            return error_response(503, "busy", "the database is busy; try again")
        finally:
            session.close()
        return response

    @app.teardown_request
    def _discard(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
