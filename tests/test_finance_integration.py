"""The money on a synthetic care economy: tariffs, budget, tags, billed lines through ingest,
reconciliation, the CLI and the workbook; planted double payment is all found and nothing
else is; the bootstrap interval of a tariff narrows as 1/√N."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.finance_support import add_currency_and_register
from yearofcare.cli import main
from yearofcare.engine import connect
from yearofcare.finance.bootstrap import Pool, generator, interval, ratio_replicates
from yearofcare.finance.budget_stage import run_budget
from yearofcare.finance.map_loader import load_service_map
from yearofcare.finance.reconcile_stage import run_reconcile
from yearofcare.finance.service_map import example_path
from yearofcare.finance.settings import example_settings_path, load_settings
from yearofcare.finance.tagging import run_tag
from yearofcare.finance.tariff_stage import run_tariffs
from yearofcare.finance.workbook import write_workbook
from yearofcare.ingest.load import ingest
from yearofcare.ingest.options import IngestOptions
from yearofcare.linkage.pseudonym import create_key, load_key
from yearofcare.population.person_year import build
from yearofcare.store import Store
from yearofcare.synth.billed_lines import billed_lines, write_billed_lines
from yearofcare.synth.generate import generate
from yearofcare.synth.params import SynthParams
from yearofcare.synth.writer import write

BASE_FY, END_FY = 2024, 2025


@pytest.fixture(scope="module")
def economy(tmp_path_factory):
    root = tmp_path_factory.mktemp("money")
    key_file = create_key(root / "secure" / "yoc-linkage.key")
    key = load_key(key_file)
    store = Store(connect("duckdb", root / "yoc-data"))
    population = generate(SynthParams(people=6000, years=2, seed=11, end_fy=END_FY))
    write(store, population, key)
    build(store)
    add_currency_and_register(store, BASE_FY)
    settings, _ = load_settings(example_settings_path())
    settings = settings.model_copy(
        update={"budget": settings.budget.model_copy(update={"base_fy": BASE_FY})}
    )
    smap = load_service_map(example_path())
    run_tariffs(store, settings, smap)
    run_budget(store, settings)
    run_tag(store, smap)
    register = store.to_pandas(store.table("cohort_member"))
    lines = billed_lines(population, register, smap, key, END_FY, np.random.default_rng(3))
    path = root / "raw" / "billed_lines_2025-26.csv"
    write_billed_lines(lines, path)
    with store.stage("synth-billed-lines") as run:
        run.write("synth_billed_line", lines.truth)
    ingest(store, IngestOptions("billed_lines", (path,), key_file))
    run_reconcile(store, settings)
    return store, settings, root


def _frame(store, name):
    return store.to_pandas(store.table(name))


def test_every_planted_double_payment_is_found_and_nothing_else(economy):
    store, _, _ = economy
    truth = _frame(store, "synth_billed_line")
    found = set(_frame(store, "double_payment").line_ref)
    planted = set(truth[truth.double_billed].line_ref)
    assert len(planted) > 20
    assert found == planted


def test_the_tariff_interval_narrows_as_one_over_root_n(economy):
    store, _, _ = economy
    tp = _frame(store, "tariff_person")
    tp = tp[(tp.fy == BASE_FY) & (tp.months_registered > 0)]
    pool = Pool.of_people(tp.cost_in_pence.to_numpy(float), tp.months_registered.to_numpy(float))
    widths = []
    for n in (250, 1000, 4000):
        lo, hi = interval(ratio_replicates(pool, n, 2000, generator(5, n)), 0.95)
        widths.append(hi - lo)
    for small, large in itertools.pairwise(widths):
        assert 1.6 < small / large < 2.5  # four times the people, half the width


def test_budget_schedule_and_reconciliation_agree_to_the_penny(economy):
    store, _, _ = economy
    budget = _frame(store, "budget")
    totals = budget[budget.step == "total"].set_index("fy").running_total_pence
    schedule = _frame(store, "payment_schedule").groupby("fy").amount_pence.sum()
    assert (schedule == totals.loc[schedule.index]).all()
    assert len(totals) == 3
    rec = _frame(store, "reconciliation")
    year_end = rec[(rec.level == "total") & (rec.fy == END_FY) & (rec.month == 12)].iloc[0]
    tags = _frame(store, "activity_tag")
    inside = tags[tags.inside & (tags.fy == END_FY)].cost_pence.sum()
    assert year_end.ytd_actual_pence == inside == year_end.forecast_outturn_pence
    assert year_end.annual_budget_pence == totals.loc[END_FY]
    detail = rec[(rec.level == "detail") & (rec.fy == END_FY)]
    assert detail.budget_pence.sum() == totals.loc[END_FY]


def test_finance_costs_every_row_as_the_build_did(economy):
    store, _, _ = economy
    py = _frame(store, "person_year").groupby("fy").cost_total.sum()
    tp = _frame(store, "tariff_person").groupby("fy").cost_all_pence.sum()
    rows = _frame(store, "activity_tag").groupby("fy").size()
    for fy in py.index:
        # each row rounded to the penny once: the totals differ by at most half a penny a row
        assert abs(tp.loc[fy] - py.loc[fy] * 100) <= rows.loc[fy] / 2


def test_the_tariffs_have_intervals_and_the_bridge_ends_at_the_uplifted_tariff(economy):
    store, _settings, _ = economy
    t = _frame(store, "tariff")
    t = t[(t.fy == BASE_FY) & (t.people > 0)]
    assert (t.ci_low_pence <= t.tariff_pence).all() and (t.tariff_pence <= t.ci_high_pence).all()
    bridge = _frame(store, "tariff_bridge")
    last = bridge[bridge.step_order == 4].set_index(["value", "fy"]).amount_pence
    assert (
        last.loc[[(v, BASE_FY) for v in t.value]].to_numpy() == t.uplifted_pence.to_numpy()
    ).all()
    pool = t.pool_pence.sum()
    assert pool > 0  # cap and pool moved the cost above £50,000 a year to the pool


def test_cli_and_workbook(economy, tmp_path):
    store, _, root = economy
    data = str(store.engine.data_dir)
    settings = tmp_path / "finance.yaml"
    text = example_settings_path().read_text(encoding="utf-8")
    settings.write_text(
        text.replace("  # base_fy: 2024", f"  base_fy: {BASE_FY}"), encoding="utf-8"
    )
    assert main(["--data-dir", data, "budget", "--settings", str(settings)]) == 0
    path = write_workbook(store, tmp_path / "book.xlsx")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        book = z.read("xl/workbook.xml").decode()
        sheet = z.read("xl/worksheets/sheet4.xml").decode()
    for name in (
        "About",
        "Service map",
        "Tariffs",
        "Budget",
        "Payment schedule",
        "Reconciliation",
        "Double payment",
    ):
        assert name in book
    assert any(n.startswith("xl/worksheets/") for n in names)
    assert "<v>" in sheet  # numbers stored as numbers
    assert main(["--data-dir", data, "init", str(tmp_path / "cfg")]) == 0
    assert (tmp_path / "cfg" / "service_map.yaml").is_file()
    assert Path(root).exists()


def test_the_report_has_the_tariffs_and_budget_sections(economy, tmp_path):
    from yearofcare.reports.render import write_report

    store, _, _ = economy
    files = write_report(store, tmp_path / "report")
    html = files.html.read_text(encoding="utf-8")
    for section in ("finance_budget", "finance_reconciliation"):
        assert f'id="{section}"' in html and section not in files.missing
    assert "Capitated budget ltc3 2025/26: £" in html
    assert "billed lines for care already paid" in html
    assert (tmp_path / "report" / "charts" / "finance_tariffs.vl.json").is_file()
