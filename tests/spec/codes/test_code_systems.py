"""Code systems (`yearofcare.codes`): the published lengths, normalised the same way in Python
and as Ibis expressions on every engine."""

from __future__ import annotations

import ibis
import pytest

from tests.spec import spec_test
from yearofcare import codes

#: (system, raw value, normal form or None, valid?) — hand-checked against the NHS Data
#: Dictionary (ICD-10 CODE an4–an6, OPCS-4 CODE an4), the SNOMED CT identifier (6–18 digits),
#: Read v2 (5 characters + optional 2-digit term code) and BNF codes (NHSBSA, 15 characters).
CASES = [
    ("ICD10", "I10", "I10", True),  # three-character category
    ("ICD10", "I10X", "I10", True),  # X fills an undivided category
    ("ICD10", "E119", "E119", True),
    ("ICD10", "E11.9", "E119", True),  # the dot is not stored
    ("ICD10", "E119-", "E119", True),  # - fills an unused fifth character
    ("ICD10", "M2406", "M2406", True),  # a fifth character
    ("ICD10", "G01X-D", "G01", True),  # sixth character: dagger marker
    ("ICD10", "A170A", "A170", True),  # asterisk marker
    ("ICD10", "i10x", "I10", True),
    ("ICD10", "-", None, None),  # blank
    ("ICD10", "7999", "7999", False),  # ICD-9
    ("ICD10", "0000", "0000", False),
    ("ICD10", "I1", "I1", False),  # too short
    ("ICD10", "I10000", "I10000", False),  # six digits is not ICD-10
    ("ICD10", "E11X9", "E11X9", False),
    ("OPCS4", "H011", "H011", True),
    ("OPCS4", "X62-", "X62", True),
    ("OPCS4", "H01.1", "H011", True),
    ("OPCS4", "H0111", "H0111", False),
    ("SNOMED", "38341003", "38341003", True),
    ("SNOMED", "12345", "12345", False),  # under 6 digits
    ("SNOMED", "1234567890123456789", "1234567890123456789", False),  # over 18
    ("READ2", "G30..", "G30..", True),  # dots pad a Read code: kept
    ("READ2", "G30..00", "G30..", True),  # two-digit term code dropped
    ("READ2", "G30.", "G30.", False),
    ("BNF", "0212000B0AAABAB", "0212000B0AAABAB", True),  # presentation, 15 characters
    ("BNF", "0212000B0", "0212000B0", True),  # chemical substance, 9
    ("BNF", "XXXX", "XXXX", False),
    ("BNF", "0212000B0AAAB", "0212000B0AAAB", True),  # strength level, 13
    ("BNF", "0212000B0AAABA", "0212000B0AAABA", False),  # 14 is no level
]


@pytest.mark.parametrize(("system", "raw", "normal", "valid"), CASES)
def test_python_normal_form_and_validity(system, raw, normal, valid):
    s = codes.system(system)
    assert s.normalise(raw) == normal
    assert s.valid(s.normalise(raw)) == bool(valid)


def test_ibis_normal_form_and_validity_match_on_every_engine(store):
    rows = [{"i": i, "system": s, "raw": r} for i, (s, r, _, _) in enumerate(CASES)]

    def expression(store):
        t = store.table("code_cases")
        parts = []
        for name, s in codes.SYSTEMS.items():
            sub = t.filter(t.system == name)
            normal = s.normalise_expr(sub.raw)
            parts.append(sub.select("i", normal=normal, valid=s.valid_expr(normal)))
        return ibis.union(*parts)

    expected = [{"i": i, "normal": n, "valid": v} for i, (_, _, n, v) in enumerate(CASES)]
    spec_test(store, {"code_cases": rows}, expression, expected, order_by=["i"])


def test_code_list_entries_may_be_prefixes_for_prefix_systems():
    assert codes.BNF.valid_prefix("02")  # a BNF chapter
    assert not codes.BNF.valid("02")
    assert codes.ICD10.valid_prefix("E11")
    assert not codes.SNOMED.valid_prefix("38")
