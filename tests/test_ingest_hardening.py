"""Issue 10 (findings 1, 7, 8, 9, 10 and the lesser list): line ends, encodings, overflowing and
implausible values, mapping mistakes and terminal markup never lose rows or crash.

The bad-input corpus (`test_ingest_corpus.py`) runs every case over every format; these tests
pin each finding's exact behaviour on one small file.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tests.ingest_support import make_key, run, table, write
from yearofcare.cli import main
from yearofcare.errors import ConfigError, InputError
from yearofcare.linkage import nhs_number
from yearofcare.sources import get
from yearofcare.sources.mapping import Mapping, check_against
from yearofcare.sources.preflight import inspect_file
from yearofcare.sources.text import Newlines

NHS = nhs_number.generate(np.random.default_rng(17), 4)
HEADER = "NHS_NUMBER,INCIDENT_ID,INCIDENT_DATE,TRUST_CODE,CATEGORY,OUTCOME,COST"
ROWS = [
    f"{NHS[0]},i1,2024-05-01,RX9,C1,S&C,250.5",
    f"{NHS[1]},i2,2024-05-02,RX9,C2,H&T,40",
    f"{NHS[2]},i3,2024-05-03,RX9,C3,S&C,12",
]
AMBULANCE = get("ambulance")
NO_MAPPING = Mapping()


def _file(tmp_path, name: str, lines: list[str], ends, encoding="utf-8", bom=b"") -> object:
    ends = [ends] * len(lines) if isinstance(ends, str) else ends
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("ends", "encoding", "bom", "style", "declared"),
    [
        (["\r\n", "\n", "\n", "\n"], "utf-8", b"", "mixed", "utf-8"),  # CRLF header, LF rows
        (["\r\n", "\r\n", "\n", "\r\n"], "utf-8", b"", "mixed", "utf-8"),  # one LF among CRLF
        ("\r", "utf-8", b"", "cr", "utf-8"),
        ("\r\n", "utf-8", b"\xef\xbb\xbf", "crlf", "utf-8"),
        ("\n", "utf-16-le", b"\xff\xfe", "lf", "utf-16-le"),
        ("\r\n", "utf-16-be", b"\xfe\xff", "crlf", "utf-16-be"),
        ("\n", "cp1252", b"", "lf", "windows-1252"),
    ],
)
def test_preflight_finds_line_ends_and_encoding(tmp_path, ends, encoding, bom, style, declared):
    mapping = Mapping(encoding="latin-1") if encoding == "cp1252" else NO_MAPPING
    rows = [r.replace("C2", "Caf\u00e9 \u20ac") for r in ROWS]
    path = _file(tmp_path, "amb.csv", [HEADER, *rows], ends, encoding, bom)
    facts = inspect_file(path, AMBULANCE, mapping)
    assert (facts.newline, facts.encoding) == (style, declared)
    assert facts.needs_copy == (style in ("cr", "mixed") or declared != "utf-8")
    assert facts.resolved["CATEGORY"] == "CATEGORY"


def test_newlines_are_counted_across_chunks():
    n = Newlines()
    for chunk in (b"a\r", b"\nb\r", b"c\n", b"\r\n"):
        n.add(chunk)
    assert (n.lf, n.crlf, n.cr, n.style) == (1, 2, 1, "mixed")


def test_crlf_header_with_lf_rows_reads_every_row(duck_store, tmp_path):
    key = make_key(tmp_path)
    path = _file(tmp_path, "amb_mixed.csv", [HEADER, *ROWS], ["\r\n", "\n", "\n", "\n"])
    f = run(duck_store, "ambulance", path, key=key).files[0]
    assert (f.counts["rows_read"], f.counts["rows_loaded"]) == (3, 3)
    rows = [r.replace(",i", ",u") for r in ROWS[:2]]  # other records than the first file
    utf16 = _file(tmp_path, "amb_u16.csv", [HEADER, *rows], "\r\n", "utf-16")
    f = run(duck_store, "ambulance", utf16, key=key).files[0]
    assert (f.counts["rows_read"], f.counts["rows_loaded"]) == (2, 2)


def test_windows_1252_declared_latin1_loads_its_text(duck_store, tmp_path):
    key = make_key(tmp_path)
    rows = [r.replace("RX9,C2", "\u201cCaf\u00e9\u201d \u2013 \u20ac5,C2") for r in ROWS]
    path = _file(tmp_path, "amb_1252.csv", [HEADER, *rows], "\r\n", "cp1252")
    mapping = write(tmp_path / "m.yaml", "encoding: latin-1\n")
    f = run(duck_store, "ambulance", path, key=key, mapping_file=mapping).files[0]
    assert f.counts["rows_loaded"] == 3
    assert "\u201cCaf\u00e9\u201d \u2013 \u20ac5" in set(
        table(duck_store, "activity").provider_code
    )


def test_overflow_and_implausible_values_are_quarantined_not_fatal(duck_store, tmp_path):
    key = make_key(tmp_path)
    text = (
        "NHS_NUMBER,ITEM_ID,DISPENSED_DATE,BNF_CODE,ITEMS,ACTUAL_COST\n"
        f"{NHS[0]},p1,2024-05-01,0601023A0AAAAAA,1e20,3.5\n"  # ITEMS overflows int64
        f"{NHS[1]},p2,2099-01-01,0601023A0AAAAAA,1,3.5\n"  # dated 2099
        f"{NHS[2]},p3,2024-05-03,0601023A0AAAAAA,2,1e308\n"  # a cost no item has
        f"{NHS[3]},p4,2024-05-04,0601023A0AAAAAA,2,4.25\n"
    )
    path = write(tmp_path / "rx.csv", text)
    f = run(duck_store, "prescribing", path, key=key, latest_date=date(2026, 3, 31)).files[0]
    c = f.counts
    assert (c["rows_read"], c["rows_loaded"], c["rows_quarantined"], c["rows_corrected"]) == (
        4,
        2,
        2,
        1,
    )
    assert f.reasons == {
        "quarantined:out_of_range": 1,
        "quarantined:implausible_date": 1,
        "corrected:out_of_range": 1,
    }
    rej = table(duck_store, "ingest_reject").set_index("row_number")
    assert "at most 1e+08, the largest plausible value" in rej.loc[2, "message"]
    assert "after 2026-03-31" in rej.loc[3, "message"]
    act = table(duck_store, "activity")
    assert act.cost.max() < 1e8  # the 1e308 cost was blanked, not loaded
    assert act.start_date.max().year == 2024


def test_invalid_date_format_in_a_mapping_is_a_config_error():
    with pytest.raises(ConfigError, match="'%Q' is not a date format"):
        check_against(Mapping(date_formats={"INCIDENT_DATE": ("%Q",)}), AMBULANCE, None)
    with pytest.raises(ConfigError, match="not a date format"):
        check_against(Mapping(date_formats={"INCIDENT_DATE": ("dd/mm/yyyy",)}), AMBULANCE, None)


def test_a_mapping_cannot_read_one_column_twice_or_store_an_identifier():
    with pytest.raises(ConfigError, match="INCIDENT_ID and NHS_NUMBER would both read"):
        check_against(Mapping(columns={"INCIDENT_ID": "NHS_NUMBER"}), AMBULANCE, None)
    with pytest.raises(ConfigError, match="would both read the file column 'x'"):
        check_against(Mapping(columns={"TRUST_CODE": "X", "CATEGORY": "x"}), AMBULANCE, None)
    with pytest.raises(ConfigError, match="INCIDENT_ID is mapped to 'NHS_NUMBER', the NHS_"):
        columns = {"NHS_NUMBER": "NHSNO", "INCIDENT_ID": "NHS_NUMBER"}
        check_against(Mapping(columns=columns), AMBULANCE, None)
    check_against(
        Mapping(columns={"INCIDENT_ID": "INC_REF", "NHS_NUMBER": "NHSNO"}), AMBULANCE, None
    )


def test_lesser_findings(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a file"):
        inspect_file(tmp_path, AMBULANCE, NO_MAPPING)
    filler = [f"{NHS[0]},i{k},2024-05-01,RX9,C,S&C,1" for k in range(3000)]
    path = _file(tmp_path, "amb_nul.csv", [HEADER, *filler, ROWS[0].replace("C1", "C\x001")], "\n")
    with pytest.raises(InputError, match="row 3002: a NUL byte"):
        inspect_file(path, AMBULANCE, NO_MAPPING)
    quoted = ",".join(f'" {h} "' for h in HEADER.split(","))
    facts = inspect_file(_file(tmp_path, "amb_q.csv", [quoted, *ROWS], "\n"), AMBULANCE, NO_MAPPING)
    assert facts.delimiter == ","


def test_markup_and_escapes_in_data_and_paths_are_printed_literally(tmp_path, capsys):
    folder = tmp_path / "in [" / "b] box"  # the path holds "[/b]"
    folder.mkdir(parents=True)
    key = make_key(tmp_path)
    rows = [r.replace("C1", "[/b] [bold]x").replace("250.5", "\x1b[31mred") for r in ROWS]
    path = _file(folder, "amb [b].csv", [HEADER, *rows], "\n")
    common = ["--data-dir", str(tmp_path / "store")]
    assert (
        main([*common, "ingest", "--source", "ambulance", "--key-file", str(key), str(path)]) == 0
    )
    assert main([*common, "problems"]) == 0
    assert (
        main([*common, "ingest", "--source", "ambulance", "--key-file", str(key), str(folder)]) != 0
    )
    both = capsys.readouterr()
    text = both.out + both.err
    assert "Internal error" not in text and "Traceback" not in text
    assert "in [/b] box" in text  # the folder's path, printed literally
    assert "\\x1b" in text and "\x1b" not in text  # the escape shown, never sent


def test_a_second_key_is_refused_with_how_to_proceed(duck_store, tmp_path):
    from yearofcare.linkage.optout import apply_to_store
    from yearofcare.linkage.pseudonym import create_key, fingerprint, load_key

    key = make_key(tmp_path)
    other = create_key(tmp_path / "other" / "yoc-linkage.key")
    run(duck_store, "ambulance", _file(tmp_path, "amb_a.csv", [HEADER, *ROWS], "\n"), key=key)
    stored = table(duck_store, "linkage_key")
    assert stored.fingerprint.tolist() == [fingerprint(load_key(key))]
    assert key.read_text().strip() not in stored.to_csv()
    second = _file(tmp_path, "amb_b.csv", [HEADER, ROWS[0].replace("i1", "i9")], "\n")
    with pytest.raises(ConfigError, match="not the key this store's pseudonyms were made with"):
        run(duck_store, "ambulance", second, key=other)
    optouts = write(tmp_path / "optouts.txt", f"{NHS[0]}\n")
    with pytest.raises(ConfigError, match="--key-file"):
        apply_to_store(duck_store, optouts, other)
    assert len(table(duck_store, "activity")) == 3  # nothing changed
    run(duck_store, "ambulance", second, key=key)  # the store's own key still works
    assert len(table(duck_store, "linkage_key")) == 1


def test_an_overlapping_extract_never_counts_a_record_twice(duck_store, tmp_path):
    key = make_key(tmp_path)
    first = _file(tmp_path, "amb_apr-sep.csv", [HEADER, *ROWS[:2]], "\n")
    run(duck_store, "ambulance", first, key=key)
    # a corrected copy under a new name: its record is set aside, not counted twice
    copy = _file(tmp_path, "amb_copy.csv", [HEADER, ROWS[1].replace(",40", ",41")], "\n")
    f = run(duck_store, "ambulance", copy, key=key).files[0]
    assert (f.counts["rows_loaded"], f.counts["rows_duplicate"]) == (0, 1)
    assert "already loaded from amb_apr-sep.csv (load l" in f.first_problem
    assert table(duck_store, "activity").cost.sum() == 250.5 + 40
    # a year-to-date extract repeating both records: refused, or replacing the earlier one
    ytd = _file(tmp_path, "amb_apr-dec.csv", [HEADER, *ROWS], "\n")
    with pytest.raises(InputError, match="2 record\\(s\\) \\(same INCIDENT_ID\\) are already"):
        run(duck_store, "ambulance", ytd, key=key, duplicates="refuse")
    f = run(duck_store, "ambulance", ytd, key=key, duplicates="replace").files[0]
    assert f.counts["rows_loaded"] == 3
    loads = table(duck_store, "ingest_load").set_index("file_name").status
    assert loads.to_dict() == {
        "amb_apr-sep.csv": "superseded",
        "amb_copy.csv": "current",
        "amb_apr-dec.csv": "current",
    }
    act = table(duck_store, "activity")
    assert (len(act), act.cost.sum()) == (3, 250.5 + 40 + 12)
