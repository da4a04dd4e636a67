"""Errors of the sales domain, each with a stable code."""

from core.errors import Conflict, InvalidInput, NotFound


class IllegalTransition(Conflict):
    code = "illegal_transition"


class OrderNotFound(NotFound):
    code = "order_not_found"


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"


class ReportConflict(Conflict):
    code = "report_conflict"


class EmptyOrder(InvalidInput):
    code = "empty_order"
