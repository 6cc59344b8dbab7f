"""Assessments (issue 11 item 3): the level the DST domains support, concordance as weighted
kappa on a known table, and the upcoding audit — on every engine."""

from __future__ import annotations

from datetime import date
from math import comb

import numpy as np
import pytest

from tests.spec import load
from yearofcare.errors import InputError
from yearofcare.segmentation.agreement import funnel, kappa
from yearofcare.segmentation.assess import run_assess

ZERO = dict.fromkeys(
    ("behaviour", "cognition", "communication", "mobility", "nutrition", "continence", "skin",
     "breathing", "drug_therapies", "psychological", "altered_states"), 0,
)  # fmt: skip
# domains that support each level under the default need rules:
#   Low: nothing (F1C1); Medium: mobility 4/4 → functional 1/5 = 0.2 → F2, breathing 5/5 →
#   complexity 1/6 = 0.17 → C2 (F2C2 = Medium); High: + continence 3/3 → 0.4 → F3, + drug
#   therapies 5/5 → 2/6 = 0.33 → C3 (F3C3 = High)
SUPPORT = {
    "Low": {},
    "Medium": {"mobility": 4, "breathing": 5},
    "High": {"mobility": 4, "continence": 3, "breathing": 5, "drug_therapies": 5},
}
# the known table (rows: concluded; columns: supported by the domains)
TABLE = {("Low", "Low"): 20, ("Low", "Medium"): 5, ("Medium", "Low"): 5, ("Medium", "Medium"): 10,
         ("Medium", "High"): 5, ("High", "Medium"): 5, ("High", "High"): 10}  # fmt: skip


def _assessments() -> list[dict]:
    rows, i = [], 0
    for (concluded, supported), n in TABLE.items():
        for k in range(n):
            i += 1
            above = ["Low", "Medium", "High"].index(concluded) > ["Low", "Medium", "High"].index(
                supported
            )
            # the 10 conclusions above the domains, and the first 5 Low/Low, are assessor U's
            upcoder = above or (concluded == supported == "Low" and k < 5)
            domains = {f"dst_{d}": v for d, v in {**ZERO, **SUPPORT[supported]}.items()}
            rows.append({
                **domains, "assessment_id": f"A{i:03d}", "person_id": f"p{i:03d}",
                "assessment_date": date(2024, 6, 1), "assessor_id": "U" if upcoder else "H",
                "provider_code": "P1", "assessed_level": concluded,
            })  # fmt: skip
    return rows


def test_kappa_on_a_known_table():
    t = np.array([[20, 5, 0], [5, 10, 5], [0, 5, 10]])
    # row and column totals 25, 20, 15 of n = 60
    # unweighted: po = 40/60, pe = (25² + 20² + 15²)/60² = 1250/3600 → κ = 1150/2350 = 23/47
    assert kappa(t, "none").kappa == pytest.approx(23 / 47)
    # linear weights 1, ½, 0: po = (40 + ½·20)/60 = 3000/3600, pe = (1250 + ½·1600)/3600
    # → κ = (3000 − 2050)/(3600 − 2050) = 19/31
    assert kappa(t, "linear").kappa == pytest.approx(19 / 31)
    k = kappa(t, "none")
    assert k.lower < 23 / 47 < k.upper and k.upper - k.lower == pytest.approx(2 * 1.959964 * k.se)


def test_funnel_flags_above_the_998_limit():
    # 10 % is the usual share. 5 of 10 above: P(X ≥ 5) = Σ_{k=5..10} C(10,k) 0.1^k 0.9^(10−k)
    # = 0.0016: beyond the 95 % limit (one-sided 0.025) but inside 99.8 % (0.001)
    p5 = sum(comb(10, k) * 0.1**k * 0.9 ** (10 - k) for k in range(5, 11))
    f = funnel(5, 10, 0.1)
    assert f.p_value == pytest.approx(p5) and 0.001 < p5 < 0.025
    assert f.above_95 and not f.flagged
    # 6 of 10: P(X ≥ 6) = 0.00015 < 0.001 → flagged
    p6 = sum(comb(10, k) * 0.1**k * 0.9 ** (10 - k) for k in range(6, 11))
    assert funnel(6, 10, 0.1).p_value == pytest.approx(p6) and p6 < 0.001
    assert funnel(6, 10, 0.1).flagged
    assert not funnel(1, 10, 0.1).above_95  # the usual share


def test_concordance_and_upcoding_audit(store):
    load(store, {"assessment": _assessments()})
    result = run_assess(store)
    k = result.agreement.set_index(["comparison", "weights"]).kappa
    assert k["domains", "none"] == pytest.approx(23 / 47)
    assert k["domains", "linear"] == pytest.approx(19 / 31)
    audit = result.audit[(result.audit.comparison == "domains")].set_index(["unit", "unit_id"])
    # U concluded above the domains in 10 of 15; the overall share is 10/60 = 1/6
    u = audit.loc[("assessor", "U")]
    assert (u.assessments, u.above, u.expected_share) == (15, 10, pytest.approx(1 / 6))
    assert u.p_value == pytest.approx(
        sum(comb(15, x) * (1 / 6) ** x * (5 / 6) ** (15 - x) for x in range(10, 16))
    )
    assert bool(u.flagged)
    assert not bool(audit.loc[("assessor", "H")].flagged)
    assert not bool(audit.loc[("provider", "P1")].flagged)  # the provider is the whole population
    stored = store.to_pandas(store.table("assessment_level"))
    assert int(stored.above_domains.sum()) == 10 and len(stored) == 60


def test_domain_levels_the_tool_does_not_have_are_named(store):
    rows = _assessments()[:3]
    rows[1]["dst_communication"] = 5  # communication goes up to 3 (high) in the DST
    load(store, {"assessment": rows})
    with pytest.raises(
        InputError,
        match=r"dst_communication: 1 assessment\(s\) above the domain's highest level 3 \(high\), e.g. A002 \(5\)",
    ):
        run_assess(store)
    assert not store.exists("assessment_level")  # nothing half-written
