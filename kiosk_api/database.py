"""One session per request: created on first use, committed once if the response succeeded."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database, UnitOfWork


def get_db() -> Database:
    return current_app.extensions["dongxi.db"]


def get_session() -> Session:
    """Return this request's session (the unit of work the request commits)."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


def request_unit_of_work() -> UnitOfWork:
    """This request's session as a unit of work a service may commit early (before a provider call)."""
    return UnitOfWork(get_db(), get_session(), on_commit=lambda: g.pop("after_rollback", None))


def after_rollback(work: Callable[[], None]) -> None:
    """Run `work` if this request's session is rolled back (an error answer, a failed commit).

    For the little that must be kept even when the request fails — a device's used nonce — without
    a second transaction on the requests that succeed."""
    g.setdefault("after_rollback", []).append(work)


def _run_after_rollback() -> None:
    for work in g.pop("after_rollback", []):
        work()


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
                g.pop("after_rollback", None)
                return response
            session.rollback()
        except IntegrityError:
            session.rollback()
            response = error_response(409, "conflict", "the change conflicts with data written meanwhile")
        except OperationalError:
            session.rollback()
            response = error_response(503, "busy", "the database is busy; try again")
        except DataError:  # a value its column cannot hold, found only when the commit flushed it
            session.rollback()
            response = error_response(422, "invalid_input", "a value is out of range or not storable")
        finally:
            session.close()
        _run_after_rollback()
        return response

    @app.teardown_request
    def _discard(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
        if "after_rollback" in g:
            try:
                _run_after_rollback()
            except Exception:  # the request already failed; keeping its nonce is best effort
                current_app.logger.exception("after-rollback work failed")
