"""DST assessment exports (issue 11 item 3): level words as the tool writes them, a local export
through a mapping file, and levels a domain does not have quarantined with their column."""

from __future__ import annotations

import numpy as np

from tests.ingest_support import make_key, run, table, write
from yearofcare.linkage import nhs_number
from yearofcare.segmentation.assess import run_assess

NHS = nhs_number.generate(np.random.default_rng(11), 4)
DOMAINS = ("behaviour", "cognition", "communication", "mobility", "nutrition", "continence",
           "skin", "breathing", "drug_therapies", "psychological", "altered_states")  # fmt: skip
HEAD = (
    "NHS_NUMBER,ASSESSMENT_ID,ASSESSMENT_DATE,ASSESSOR_ID,PROVIDER_CODE,"
    + ",".join(f"DST_{d.upper()}" for d in DOMAINS)
    + ",OUTCOME\n"
)


def _row(nhs: str, aid: str, levels: list[str], outcome: str) -> str:
    return f"{nhs},{aid},01/06/2024,AS1,RXX," + ",".join(levels) + f",{outcome}\n"


def test_dst_words_initials_and_numbers_load(duck_store, tmp_path):
    text = (
        HEAD
        + _row(NHS[0], "D1", ["No needs"] * 11, "Low")
        + _row(
            NHS[1],
            "D2",
            ["low", "M", "High", "severe", "1", "H", "L", "Priority", "p", "2", "N"],
            "medium",
        )
    )
    f = run(
        duck_store, "dst", write(tmp_path / "dst_2024.csv", text), key=make_key(tmp_path)
    ).files[0]
    assert f.counts["rows_loaded"] == 2 and not f.reasons
    a = table(duck_store, "assessment").sort_values("assessment_id")
    assert a[[f"dst_{d}" for d in DOMAINS]].iloc[1].tolist() == [1, 2, 3, 4, 1, 3, 1, 5, 5, 2, 0]
    assert a.assessed_level.tolist() == ["Low", "Medium"]
    assert run_assess(duck_store).assessments == 2


def test_a_level_the_domain_does_not_have_is_quarantined_by_name(duck_store, tmp_path):
    # communication stops at High in the DST: "Severe" there is not a level; "Very high" is nothing
    bad = ["No needs"] * 11
    bad[2] = "Severe"
    worse = ["No needs"] * 11
    worse[0] = "Very high"
    text = (
        HEAD
        + _row(NHS[0], "D1", ["No needs"] * 11, "Low")
        + _row(NHS[1], "D2", bad, "Low")
        + _row(NHS[2], "D3", worse, "Low")
    )
    f = run(
        duck_store, "dst", write(tmp_path / "dst_2024.csv", text), key=make_key(tmp_path)
    ).files[0]
    assert (f.counts["rows_loaded"], f.counts["rows_quarantined"]) == (1, 2)
    rejects = table(duck_store, "ingest_reject").sort_values("row_number")
    assert rejects.column.tolist() == ["DST_COMMUNICATION", "DST_BEHAVIOUR"]
    assert rejects.value.tolist() == ["Severe", "Very high"]
    assert set(rejects.reason) == {"unknown_code"}


def test_a_local_export_loads_through_a_mapping_file(duck_store, tmp_path):
    names = ["Behaviour", "Cognition", "Communication", "Mobility", "Nutrition", "Continence",
             "Skin", "Breathing", "Drug therapies", "Psychological", "Altered states"]  # fmt: skip
    text = "NHS No;Ref;Date;Outcome;" + ";".join(names) + "\n" + (
        f"{NHS[3]};R9;2024-09-01;Medium;" + ";".join(["Nil", "Nil", "Nil", "Marked", "Nil", "Nil",
                                                       "Nil", "Nil", "Nil", "Nil", "Nil"]) + "\n"
    )  # fmt: skip
    columns = {
        "NHS_NUMBER": "NHS No",
        "ASSESSMENT_ID": "Ref",
        "ASSESSMENT_DATE": "Date",
        "OUTCOME": "Outcome",
    }
    columns |= {f"DST_{d.upper()}": n for d, n in zip(DOMAINS, names, strict=True)}
    mapping = "delimiter: ';'\ncolumns:\n" + "".join(f"  {k}: '{v}'\n" for k, v in columns.items())
    mapping += "code_maps:\n" + "".join(
        f"  DST_{d.upper()}: {{Nil: '0', Marked: '3'}}\n" for d in DOMAINS
    )
    f = run(
        duck_store, "dst", write(tmp_path / "local_dst.csv", text), key=make_key(tmp_path),
        mapping_file=write(tmp_path / "dst.yaml", mapping),
    ).files[0]  # fmt: skip
    assert f.counts["rows_loaded"] == 1 and not f.reasons
    a = table(duck_store, "assessment")
    assert a.dst_mobility.tolist() == [3] and a.dst_behaviour.tolist() == [0]
