"""Hypothesis profiles: `ci` (the default: bounded and reproducible) and `long` (local hunting).

Pick one with `pytest --hypothesis-profile=long`; tests that set their own `@settings` keep those
(a profile only supplies what a test leaves unset)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is reproducible
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("ci")
