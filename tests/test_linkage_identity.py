"""The trusted identity step: bulk HMAC equals Python's hmac; validity and pseudonyms at ingest."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pyarrow as pa

from tests.ingest_support import make_key, run, table, write
from yearofcare.linkage import nhs_number, pseudonym


def test_bulk_hmac_matches_python_hmac():
    key = bytes(range(7, 39))
    values = ["9434765919", "token:hes:ABC", "é-unicode", "x" * 200, None]
    got = pseudonym.Hasher(key).many(values)
    want = [hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in values[:-1]]
    assert got == [*want, None]


def test_long_keys_are_hashed_first_as_hmac_requires():
    key = bytes(range(100))
    got = pseudonym.Hasher(key).one("abc")
    assert got == hmac.new(key, b"abc", hashlib.sha256).hexdigest()[:32]


def test_identity_step_checks_and_hashes_every_spelling(duck_store, tmp_path):
    """Valid numbers (any spacing) link with the reference pseudonym; the rest do not."""
    rng = np.random.default_rng(3)
    good = list(nhs_number.generate(rng, 300))
    noise = [f"{x:010d}" for x in rng.integers(0, 10**10, 300)]
    odd = ["943 476 5919", "943-476-5919", "", " ", "1111111111", "12345", "abcdefghij"]
    values = good + noise + odd
    key_file = make_key(tmp_path)
    key = pseudonym.load_key(key_file)
    lines = [f'"{v}",i{i},2024-05-01,R1,S&C' for i, v in enumerate(values)]
    text = "NHS_NUMBER,INCIDENT_ID,INCIDENT_DATE,TRUST_CODE,OUTCOME\n" + "\n".join(lines) + "\n"
    f = run(duck_store, "ambulance", write(tmp_path / "a.csv", text), key=key_file).files[0]
    valid = nhs_number.is_valid(pa.array(values, pa.string()))
    assert f.counts["nhs_number_valid"] == int(valid.sum())
    assert f.counts["nhs_number_missing"] == 2
    ref = pseudonym.pseudonymise(nhs_number.normalise(pa.array(values, pa.string())), key)
    got = table(duck_store, "activity").set_index("activity_id").person_id
    for i, (ok, p) in enumerate(zip(valid, ref.to_pylist(), strict=True)):
        assert (got[f"{f.load_id}-i{i}"] == p) == bool(ok)


def test_ingest_pseudonym_is_the_one_every_source_shares(duck_store, tmp_path):
    key_file = make_key(tmp_path)
    number = nhs_number.generate(np.random.default_rng(1), 1)[0]
    text = f"NHS_NUMBER,INCIDENT_ID,INCIDENT_DATE,TRUST_CODE,OUTCOME\n{number[:3]} {number[3:6]} {number[6:]},i1,2024-05-01,R1,S&C\n"
    run(duck_store, "ambulance", write(tmp_path / "a.csv", text), key=key_file)
    key = pseudonym.load_key(key_file)
    expected = pseudonym.pseudonymise(pa.array([number]), key)[0].as_py()
    assert table(duck_store, "activity").person_id.tolist() == [expected]
    assert table(duck_store, "person").linked.tolist() == [True]


def test_tokens_and_unlinked_rows_get_their_own_domains(duck_store, tmp_path):
    key_file = make_key(tmp_path)
    key = pseudonym.load_key(key_file)
    text = (
        "NHSNumber,Person_ID,LocalPatientId,RecordId,CareContDate,OrgIDProv\n"
        "1234567890,,,c1,2024-05-01,RXX\n"  # invalid NHS number, nothing else: own person
        ",TOK1,,c2,2024-05-01,RXX\n"
        ",,LP9,c3,2024-05-01,RXX\n"
    )
    f = run(duck_store, "csds", write(tmp_path / "c.csv", text), key=key_file).files[0]
    assert (f.counts["nhs_number_invalid"], f.counts["nhs_number_missing"]) == (1, 2)
    assert f.counts["token_linked"] == 1
    a = table(duck_store, "activity").set_index("activity_id").person_id
    mac = lambda m: hmac.new(key, m.encode(), hashlib.sha256).hexdigest()[:32]  # noqa: E731
    assert a[f"{f.load_id}-c2"] == mac("token:csds:TOK1")
    assert a[f"{f.load_id}-c3"] == mac("local:csds:LP9")
    assert a[f"{f.load_id}-c1"] not in {mac("1234567890")}
    loads = table(duck_store, "ingest_load")
    assert loads.rows_unlinked.item() == 3
    assert not table(duck_store, "person").linked.any()


def test_supplied_pseudonyms_link_and_bad_ones_are_reported(duck_store, tmp_path):
    key_file = make_key(tmp_path)
    key = pseudonym.load_key(key_file)
    number = nhs_number.generate(np.random.default_rng(2), 1)[0]
    p = pseudonym.pseudonymise(pa.array([number]), key)[0].as_py()
    text = (
        "PSEUDONYM,PRACTICE_CODE,EVENT_DATE,CODE_SYSTEM,CODE\n"
        f"{p.upper()},Y02001,2024-05-01,SNOMED,38341003\n"
        "not-a-pseudonym,Y02001,2024-05-01,SNOMED,38341003\n"
    )
    f = run(duck_store, "gp_events", write(tmp_path / "g.csv", text), key=key_file).files[0]
    assert f.counts["pseudonym_supplied"] == 1
    assert f.reasons == {"corrected:invalid_pseudonym": 1}
    ev = table(duck_store, "coded_event")
    assert p in set(ev.person_id)


def test_key_inside_the_store_is_refused(duck_store, tmp_path):
    import pytest

    from yearofcare.errors import ConfigError

    inside = duck_store.engine.data_dir / "k.key"
    pseudonym.create_key(inside)
    text = "NHS_NUMBER,INCIDENT_ID,INCIDENT_DATE,TRUST_CODE,OUTCOME\n,i1,2024-05-01,R1,S&C\n"
    with pytest.raises(ConfigError, match="inside the data store"):
        run(duck_store, "ambulance", write(tmp_path / "a.csv", text), key=inside)
