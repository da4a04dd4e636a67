"""One session per request: created on first use, committed once if the response succeeded."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database, UnitOfWork, is_unreachable


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


def _keep_after_rollback() -> None:
    """Run the after-rollback work; the request failed already, so this is best effort (with the
    database away it fails too, and must not turn the request's answer into a 500)."""
    try:
        for work in g.pop("after_rollback", []):
            work()
    except Exception as error:
        if is_unreachable(error):  # said once already by the request's own answer (errors.py)
            current_app.logger.warning("after-rollback work skipped: the database is unavailable")
        else:
            current_app.logger.exception("after-rollback work failed")


def get_clock() -> Clock:
    return current_app.extensions["dongxi.clock"]


def init_app(app: Flask, db: Database, clock: Clock) -> None:
    app.extensions["dongxi.db"] = db
    app.extensions["dongxi.clock"] = clock

    @app.after_request
    def _commit(response: Response) -> Response:
        from kiosk_api.errors import database_error_response, error_response, unstorable_response

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
        except DataError:  # a value its column cannot hold, found only when the commit flushed it
            session.rollback()
            response = unstorable_response()
        except (DBAPIError, PoolTimeout) as error:
            session.rollback()
            # The database went away (the commit's answer may be lost) or is busy: 503, and the
            # client retries; a retry with the same Idempotency-Key finds what did commit.
            answer = database_error_response(error)
            if answer is None and not isinstance(error, OperationalError):
                raise
            response = answer or error_response(503, "busy", "the database is busy; try again")
        finally:
            session.close()
        _keep_after_rollback()
        return response

    @app.teardown_request
    def _discard(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
        if "after_rollback" in g:
            _keep_after_rollback()
