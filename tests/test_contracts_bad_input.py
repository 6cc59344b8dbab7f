"""Bad contract terms: one clear message naming the file, line and term; nothing written."""

from __future__ import annotations

import textwrap

import pytest

from yearofcare.contracts.run import SettleOptions, run_settle
from yearofcare.contracts.terms import load_terms
from yearofcare.errors import ConfigError, InputError

GOOD = """\
contract: bad-input
name: Bad input test
parties:
  icb: {name: ICB, role: commissioner}
  council: {name: Council, role: local_authority}
  prov: {name: Provider, role: provider}
pool:
  id: s75
  name: Pool
  total: 1000000
  contributions:
    icb: 750000
    council: 250000
holder: prov
periods:
  - id: 2025/26
    baseline: 1000000
apply: [share, tiers, aqc]
mechanisms:
  share:
    type: gain_loss
    shares: {prov: 50, s75: 50}
  tiers:
    type: tiered_shares
    bands:
      - {from: 0, to: 2, shares: {prov: 100}}
      - {from: 2, to: 5, shares: {prov: 50, s75: 50}}
      - {from: 5, shares: {s75: 100}}
  aqc:
    type: quality_share
    levels:
      1: {premium: 2, overspend: 80, surplus: 20}
      5: {premium: 10, overspend: 20, surplus: 80}
"""


def _file(tmp_path, text: str):
    path = tmp_path / "terms.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def test_the_good_file_loads(tmp_path):
    assert load_terms(_file(tmp_path, GOOD)).terms.apply == ["share", "tiers", "aqc"]


CASES = [
    pytest.param(
        ("shares: {prov: 50, s75: 50}", "shares: {prov: 50, s75: 40}"),
        "shares: {prov: 50, s75: 40}",
        r"setting mechanisms\.share\.shares: shares must add up to 100%, found 90%",
        id="shares-not-100",
    ),
    pytest.param(
        ("- {from: 2, to: 5,", "- {from: 1, to: 5,"),
        "bands:",
        r"bands: bands overlap or are out of order: band 2 starts at 1, inside band 1 \(0 to 2\)",
        id="overlapping-tiers",
    ),
    pytest.param(
        ("- {from: 5, shares", "- {from: 4, shares"),
        "bands:",
        r"band 3 starts at 4, inside band 2 \(2 to 5\)",
        id="unordered-tiers",
    ),
    pytest.param(
        ("1: {premium: 2, overspend: 80, surplus: 20}", "1: {overspend: 80, surplus: 20}"),
        "1: {overspend: 80",
        r"setting mechanisms\.aqc\.levels\.1\.premium: required setting is missing",
        id="quality-level-without-premium",
    ),
    pytest.param(
        ("apply: [share, tiers, aqc]", "apply: [share, tiers, aqc, stop_loss]"),
        "apply:",
        r"setting apply\.3: mechanism 'stop_loss' is referenced but not defined "
        r"\(defined: share, tiers, aqc\)",
        id="mechanism-not-defined",
    ),
    pytest.param(
        ("council: 250000", "council: 200000"),
        "  contributions:",
        r"setting pool\.contributions: contributions add up to £950,000\.00 but the pool total "
        r"is £1,000,000\.00",
        id="contributions-not-pool",
    ),
    pytest.param(
        ("    baseline: 1000000", "    baseline: -1000000"),
        "baseline: -1000000",
        r"setting periods\.0\.baseline: must not be negative",
        id="negative-baseline",
    ),
    pytest.param(
        ("shares: {prov: 50, s75: 50}", "shares: {prov: 50, cgg: 50}"),
        "shares: {prov: 50, cgg: 50}",
        r"party 'cgg' is not defined \(parties: icb, council, prov, s75\)",
        id="unknown-party",
    ),
    pytest.param(
        ("    type: gain_loss", "    type: gain_and_loss"),
        "  share:",
        r"setting mechanisms\.share: Input tag 'gain_and_loss' found using 'type' does not "
        r"match any of the expected tags: 'gain_loss', 'tiered_shares'",
        id="unknown-mechanism-type",
    ),
    pytest.param(
        ("    shares: {prov: 50, s75: 50}", "    shares: {prov: 50, s75: 50}\n    descripton: x"),
        "descripton: x",
        r"setting mechanisms\.share\.descripton: unknown setting 'descripton'; did you mean "
        r"'description'\?",
        id="typo-in-a-mechanism",
    ),
    pytest.param(
        ("council: 250000", "council: 250000.005"),
        "council: 250000.005",
        r"is not a whole number of pennies",
        id="fraction-of-a-penny",
    ),
    pytest.param(
        ("  tiers:\n", "  share:\n    type: gain_loss\n  tiers:\n"),
        "  share:",
        r"setting 'share' appears twice \(first at line",
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("edit", "needle", "message"), CASES)
def test_bad_terms_name_the_line_and_write_nothing(tmp_path, duck_store, edit, needle, message):
    text = GOOD.replace(*edit)
    assert text != GOOD
    path = _file(tmp_path, text)
    nth = 2 if "appears twice" in message else 1
    line = _line_of(text, needle, nth)
    with pytest.raises(ConfigError, match=rf"terms\.yaml line {line}[,:].*{message}") as err:
        run_settle(duck_store, SettleOptions(terms=(str(path),), outturn=("1.1m",)))
    assert err.value.hint
    assert not duck_store.exists("settlement")


def test_a_term_that_cannot_apply_leaves_earlier_statements_untouched(tmp_path, duck_store):
    path = _file(tmp_path, GOOD)
    run_settle(
        duck_store, SettleOptions(terms=(str(path),), outturn=("1.1m",), quality_level=("1",))
    )
    before = duck_store.to_pandas(duck_store.table("settlement_step"))
    # quality level 3 is not among the levels the terms define
    line = _line_of(GOOD, "  aqc:")
    with pytest.raises(
        InputError, match=rf"term 'aqc'.*line {line}.*quality level 3 has no premium defined"
    ):
        run_settle(
            duck_store, SettleOptions(terms=(str(path),), outturn=("1.2m",), quality_level=("3",))
        )
    after = duck_store.to_pandas(duck_store.table("settlement_step"))
    assert after.equals(before)
    runs = duck_store.runs()
    assert list(runs.status) == ["ok", "failed"]


def test_no_outturn_says_what_to_run(tmp_path, duck_store):
    path = _file(tmp_path, GOOD)
    with pytest.raises(InputError, match=r"no outturn for period 2025/26") as err:
        run_settle(duck_store, SettleOptions(terms=(str(path),), quality_level=("1",)))
    assert "yoc reconcile" in err.value.hint and "--outturn" in err.value.hint
