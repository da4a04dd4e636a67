"""Steady traffic for the failure tests: threads sending requests in a loop and recording every
answer (what, when, how long, status, error code) or the exception instead of an answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Answer:
    kind: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all (connection refused or reset, timeout)
    code: str | None  # the JSON error body's code, or None (no error body)
    failure: str | None = None  # the exception, when there was no answer or its body was not JSON

    @property
    def took(self) -> float:
        return self.ended - self.started

    def __str__(self) -> str:
        what = self.failure or f"{self.status} {self.code or ''}".strip()
        return f"{self.kind}: {what} in {self.took:.2f}s"


def error_code(response: requests.Response) -> tuple[str | None, str | None]:
    """The code of a JSON error body `{"error": {"code", "message", "fields"}}`, and what is wrong
    with the body if an error answer does not carry one."""
    if response.status_code < 400:
        return None, None
    try:
        error = response.json()["error"]
        assert isinstance(error["message"], str) and isinstance(error["fields"], dict)
        return error["code"], None
    except (ValueError, KeyError, TypeError, AssertionError):
        return None, f"{response.status_code} without the JSON error body: {response.text[:200]!r}"


class Load:
    """Runs each of `senders` in a loop on a thread of its own until stopped; keeps every Answer."""

    def __init__(self, senders: dict[str, Callable[[], requests.Response]]) -> None:
        self.senders = senders
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in senders]

    def _run(self, kind: str) -> None:
        send = self.senders[kind]
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                response = send()
                code, failure = error_code(response)
                answer = Answer(kind, started, time.monotonic(), response.status_code, code, failure)
            except Exception as exc:  # no answer: exactly what these tests look for
                failure = f"{exc.__class__.__name__}: {exc}"
                answer = Answer(kind, started, time.monotonic(), None, None, failure)
            with self._lock:
                self.answers.append(answer)
            # A pause between requests, as a kiosk makes; also leaves the 2 cores to the server.
            self._stop.wait(0.02)

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in self._threads), "a load thread hung"

    def between(self, start: float, end: float) -> list[Answer]:
        """The answers to requests sent at or after `start` and answered by `end`."""
        with self._lock:
            return [a for a in self.answers if a.started >= start and a.ended <= end]

    def since(self, start: float) -> list[Answer]:
        return self.between(start, float("inf"))

    def all(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)

    def kinds_answered(self, start: float, ok: Callable[[Answer], bool], times: int = 1) -> bool:
        """Whether every kind had at least `times` answers since `start` that satisfy `ok`."""
        answers = self.since(start)
        return all(sum(1 for a in answers if a.kind == k and ok(a)) >= times for k in self.senders)
