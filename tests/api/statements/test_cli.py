"""`dongxi statements issue YYYY-MM` issues a month with progress, and a second run changes nothing."""

from __future__ import annotations

from click.testing import CliRunner

from kiosk_api.cli import main


def test_issue_command_reports_progress_and_is_idempotent(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DONGXI_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    first = runner.invoke(main, ["statements", "issue", "2020-01"])
    assert first.exit_code == 0, first.output
    assert (
        "checking the rollup against the ledger" in first.output
        and "2020-01 issued 0 statements" in first.output
    )
    again = runner.invoke(main, ["statements", "issue", "2020-01"])
    assert again.exit_code == 0 and "already issued (nothing changed)" in again.output
    refused = runner.invoke(main, ["statements", "issue", "2020-13"])
    assert refused.exit_code != 0 and "YYYY-MM" in refused.output
