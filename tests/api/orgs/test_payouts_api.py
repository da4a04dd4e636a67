"""The payout endpoints: an overpaid transfer becomes a payout owed to the unit, an operator records
it paid with the bank reference and date (again: nothing changes; the reference on another payout:
409 naming the field), or failed; `dongxi payments payouts` lists what is owed."""

from __future__ import annotations

from click.testing import CliRunner

from kiosk_api.cli import Context, main


def overpay(client, auth, units, extra_fen: int) -> int:  # type: ignore[no-untyped-def]
    """Pay the unit's order by one transfer extra_fen above its total; return the payout's refund id."""
    order_id = units["order_a"]
    total = client.get(f"/api/v1/bulk-orders/{order_id}", headers=auth("operator")).get_json()["total_fen"]
    transfer = {"bank_reference": f"IN-{order_id[:8]}", "amount_fen": total + extra_fen}
    paid = client.post(f"/api/v1/bulk-orders/{order_id}/mark-paid", json=transfer, headers=auth("operator"))
    assert paid.get_json()["paid_now"] and paid.get_json()["order"]["overpaid_fen"] == extra_fen
    owed = client.get("/api/v1/payouts", headers=auth("auditor"))
    [row] = [r for r in owed.get_json() if r["order_id"] == order_id]
    assert (row["kind"], row["amount_fen"]) == ("overpayment", extra_fen)
    return row["refund_id"]


def test_an_operator_records_an_overpayment_paid_back_once_with_its_bank_reference(
    client, auth, db, clock, units
) -> None:
    refund_id = overpay(client, auth, units, 700)
    ctx = Context()
    ctx._db, ctx.clock = db, clock
    listed = CliRunner().invoke(main, ["payments", "payouts"], obj=ctx)
    assert listed.exit_code == 0 and f"refund {refund_id}  ¥7.00  overpayment" in listed.output

    body = {"bank_reference": "OUT-ICBC-77", "amount_fen": 700, "paid_on": "2026-11-26"}
    url = f"/api/v1/payouts/{refund_id}/paid"
    for role in ("auditor", "org_buyer", "org_approver"):
        assert client.post(url, json=body, headers=auth(role)).status_code == 403
    paid = client.post(url, json=body, headers=auth("operator"))
    assert paid.status_code == 200, paid.get_json()
    got = paid.get_json()
    assert (got["refund_status"], got["status"], got["recorded"]) == ("succeeded", "paid", True)
    again = client.post(url, json=body, headers=auth("operator")).get_json()
    assert (again["recorded"], again["bank_reference"]) == (False, "OUT-ICBC-77")
    other = client.post(url, json=body | {"amount_fen": 701}, headers=auth("operator"))
    assert other.status_code == 409 and "bank_reference" in other.get_json()["error"]["fields"]
    assert [r for r in client.get("/api/v1/payouts", headers=auth("operator")).get_json()] == []
    listed = CliRunner().invoke(main, ["payments", "payouts"], obj=ctx)
    assert "payouts owed: 0" in listed.output

    bad = client.post(
        url, json={"bank_reference": "X", "amount_fen": "7", "paid_on": "x"}, headers=auth("admin")
    )
    assert bad.status_code == 422 and {"amount_fen", "paid_on"} <= set(bad.get_json()["error"]["fields"])
    assert client.post("/api/v1/payouts/999999/paid", json=body, headers=auth("admin")).status_code == 404


def test_an_operator_records_a_payout_that_failed(client, auth, units) -> None:
    refund_id = overpay(client, auth, units, 300)
    url = f"/api/v1/payouts/{refund_id}/failed"
    assert client.post(url, json={}, headers=auth("operator")).status_code == 422
    failed = client.post(url, json={"reason": "收款账户已销户"}, headers=auth("operator"))
    assert failed.status_code == 200 and failed.get_json()["refund_status"] == "failed"
    late = {"bank_reference": "OUT-LATE", "amount_fen": 300, "paid_on": "2026-11-26"}
    refused = client.post(f"/api/v1/payouts/{refund_id}/paid", json=late, headers=auth("operator"))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "payout_not_owed"
