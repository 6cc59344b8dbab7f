"""`yoc settle` from the command line: statements, exposure, reports, errors."""

from __future__ import annotations

from yearofcare.cli import main


def test_settle_examples_and_report(tmp_path, capsys):
    data = tmp_path / "store"
    out = tmp_path / "report"
    code = main(
        [
            "--data-dir",
            str(data),
            "settle",
            "--example",
            "lewisham",
            "--example",
            "aqc",
            "--report",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Lewisham diabetes pathway budget" in printed and "£3,000,000.00" in printed
    html = (out / "settlement.html").read_text(encoding="utf-8")
    assert "steps from baseline to payment" in html and "1.017" in html and "1.7%" in html
    assert (out / "settlement.xlsx").stat().st_size > 5_000


def test_simulate_side_by_side(tmp_path, capsys):
    data = tmp_path / "store"
    out = tmp_path / "report"
    code = main(
        [
            "--data-dir",
            str(data),
            "settle",
            "--example",
            "aqc",
            "--example",
            "whittington",
            "--simulate",
            "--mean",
            "10m",
            "--spread",
            "5%",
            "--draws",
            "5000",
            "--report",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "Exposure over 5,000 outturns" in capsys.readouterr().out
    html = (out / "settlement.html").read_text(encoding="utf-8")
    assert "exposure before signing" in html and "<svg" in html
    assert (out / "charts" / "risk_share_exposure.vl.json").exists()


def test_user_errors_are_one_line(tmp_path, capsys):
    data = tmp_path / "store"
    assert main(["--data-dir", str(data), "settle"]) == 2
    err = capsys.readouterr().err
    assert "no contract terms given" in err and "Traceback" not in err
    assert main(["--data-dir", str(data), "settle", "--example", "nope"]) == 2
    assert (
        main(["--data-dir", str(data), "settle", "--example", "aqc", "--quality-level", "3"]) == 3
    )
    err = capsys.readouterr().err
    assert "quality level 3 has no overspend or surplus share defined" in err
    assert main(["--data-dir", str(data), "settle", "--example", "aqc", "--simulate"]) == 2
    assert "no outturn distribution" in capsys.readouterr().err
