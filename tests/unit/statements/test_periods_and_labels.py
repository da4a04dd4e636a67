"""Statement periods are Shanghai months; a unit's buying is 采购, selling to individuals 帮销."""

import pytest

from sales.statements.compute import check_period, period_bounds
from sales.statements.labels import purchase_type


def test_periods_are_months_of_shanghai() -> None:
    start, end = period_bounds("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    with pytest.raises(Exception, match="YYYY-MM"):
        check_period("2026-13")


def test_units_buying_are_purchases_and_individuals_help_selling() -> None:
    assert purchase_type("union") == "organizational" and purchase_type("individual") == "individual"
