"""A schema-driven fuzz of the HTTP API: Hypothesis draws requests from /openapi.json (every
path, its path parameters and its query parameters — values of the declared type, out of range,
of the wrong type, or junk text) and sends them as an analyst; no answer may be a 5xx, and
every error answers with a message."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yearofcare.web.registry import PAGES

JUNK = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFF), max_size=40
)


def _value(schema: dict[str, Any]) -> st.SearchStrategy:
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    strategies: list[st.SearchStrategy] = [JUNK]
    for s in options:
        if "enum" in s:
            strategies.append(st.sampled_from(s["enum"]))
        if s.get("type") == "integer":
            strategies.append(st.integers(min_value=-(10**12), max_value=10**12))
            strategies.append(st.integers(s.get("minimum", 0) - 2, s.get("maximum", 2030) + 2))
        if s.get("type") == "string":
            strategies.append(st.text(max_size=s.get("maxLength", 60) + 5))
    return st.one_of(strategies)


def _requests(schema: dict[str, Any]) -> st.SearchStrategy:
    choices = []
    for path, item in schema["paths"].items():
        op = item.get("get")
        if op is None:
            continue
        params = op.get("parameters", [])
        path_params = {
            p["name"]: st.one_of(st.sampled_from(sorted(PAGES)), JUNK.filter(bool))
            if p["name"] == "slug"
            else st.one_of(st.sampled_from(["summary", "prevalence", "all"]), JUNK.filter(bool))
            for p in params
            if p["in"] == "path"
        }
        query = {
            p["name"]: st.one_of(st.none(), _value(p.get("schema", {})))
            for p in params
            if p["in"] == "query"
        }
        extra = st.dictionaries(JUNK.filter(bool), JUNK, max_size=2)
        choices.append(
            st.tuples(
                st.just(path),
                st.fixed_dictionaries(path_params),
                st.fixed_dictionaries(query),
                extra,
            )
        )
    return st.one_of(choices)


def test_api_fuzz_finds_no_server_error(client_for):
    client = client_for("analyst")
    schema = client.get("/openapi.json").json()

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        derandomize=True,
    )
    @given(_requests(schema))
    def probe(request) -> None:
        path, path_params, query, extra = request
        url = path
        for name, value in path_params.items():
            url = url.replace("{" + name + "}", _quote(value))
        params = {k: v for k, v in {**extra, **query}.items() if v is not None}
        r = client.get(url, params=params)
        assert r.status_code < 500, (url, params, r.status_code, r.text[:300])
        if r.status_code >= 400 and r.headers.get("content-type", "").startswith(
            "application/json"
        ):
            assert r.json().get("error") or r.json().get("detail"), r.text[:200]

    probe()


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")
