"""/verify/<hash>: the issued figures for a genuine hash, a plain 'not genuine' otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from core.money import format_fen
from sales.statements.models import Statement


def test_a_genuine_hash_shows_the_issued_figures(client, auth, issued_october) -> None:
    statement = issued_october[0]
    page = client.get(f"/verify/{statement['content_hash']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "真实有效" in html and "Genuine" in html
    assert statement["subject"]["zh"] in html and format_fen(statement["totals"]["net_fen"]) in html


def test_an_unknown_hash_is_not_genuine(client) -> None:
    page = client.get("/verify/" + "0" * 64)
    assert page.status_code == 404 and "不是真实文件" in page.get_data(as_text=True)
    assert client.get("/verify/not-a-hash").status_code == 404


def test_a_row_whose_content_does_not_hash_to_its_hash_is_not_genuine(session, client) -> None:
    forged = Statement(
        period="2020-01",
        scope="county",
        scope_key="640422",
        county_code="640422",
        status="issued",
        figures={"totals": {"net_fen": 999999}},
        content_hash="a" * 64,
        issued_at=datetime(2020, 2, 1, tzinfo=UTC),
    )
    session.add(forged)
    session.commit()
    page = client.get("/verify/" + "a" * 64)
    assert page.status_code == 404 and "NOT GENUINE" in page.get_data(as_text=True)
