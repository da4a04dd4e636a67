"""`dongxi statements issue YYYY-MM` issues a month with progress, and a second run changes nothing;
only months from STATEMENTS_START (else the first sale's month) may be issued."""

from __future__ import annotations

from click.testing import CliRunner

from kiosk_api.cli import main


def test_issue_command_reports_progress_and_is_idempotent(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DONGXI_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    # An empty database has no first sale: without a configured start no month may be issued.
    before_any_sale = runner.invoke(main, ["statements", "issue", "2020-01"])
    assert before_any_sale.exit_code != 0 and "no sale yet" in before_any_sale.output
    monkeypatch.setenv("STATEMENTS_START", "2020-01")
    too_early = runner.invoke(main, ["statements", "issue", "2019-12"])
    assert too_early.exit_code != 0 and "before the first month of statements (2020-01)" in too_early.output
    first = runner.invoke(main, ["statements", "issue", "2020-01"])
    assert first.exit_code == 0, first.output
    assert (
        "checking the rollup against the ledger" in first.output
        and "2020-01 issued 0 statements" in first.output
    )
    again = runner.invoke(main, ["statements", "issue", "2020-01"])
    assert again.exit_code == 0 and "already issued (nothing changed)" in again.output
    for period in ("2020-13", "0001-01", "9999-12"):
        refused = runner.invoke(main, ["statements", "issue", period])
        assert refused.exit_code != 0 and "YYYY-MM" in refused.output
