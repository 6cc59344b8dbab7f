"""Web app load benchmark: a bounded number of requests to a local `yoc serve`, p50/p95 per route
(every registered page and its API route with default filters; cold population filters; the
cohort explorer with a new rule on each request, both its count-and-profile alone — the quick
count, `stability=skip` — and the whole page with turnover and volatility).

    python benchmarks/web.py --data-dir /work/bench/web/store [--requests 40]

Starts the app in this process (uvicorn on 127.0.0.1, a free port), logs in as an analyst and
as public health, then for each route issues `--requests` GETs one after another: default
filters (served from the page cache after the first), and "cold" requests with a different
filter each time (practice × age band, so each one runs its queries). Also times the floor: the
bare DuckDB scan-and-aggregate of the year the population page reads. Prints a table for
docs/performance.md with the machine's load average. Requests go to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx

from yearofcare.web.app import create_app
from yearofcare.web.auth import add_user
from yearofcare.web.registry import PAGES
from yearofcare.web.settings import WebSettings
from yearofcare.web.state import AppState

PASSWORD = "benchmark password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(client: httpx.Client, user: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    if r.status_code not in (200, 303):
        raise SystemExit(f"login failed: {r.status_code}")


def _time(client: httpx.Client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        t0 = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise SystemExit(f"{url}: {r.status_code} {r.text[:200]}")
    return out


def _p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, required=True)
    ap.add_argument("--requests", type=int, default=40)
    args = ap.parse_args()
    state = Path(tempfile.mkdtemp()) / "app.sqlite"
    st = AppState(state)
    for user, role in (("bench-analyst", "analyst"), ("bench-ph", "public_health")):
        add_user(st, user, PASSWORD, (role,))
    app = create_app(WebSettings(data_dir=args.data_dir, state_file=state, secure_cookies=False))
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"

    con = duckdb.connect(str(args.data_dir / "yoc.duckdb"), read_only=True)
    fy, people = con.execute(
        "SELECT max(fy), count(*) FROM person_year WHERE fy = (SELECT max(fy) FROM person_year)"
    ).fetchone()
    practices = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT practice_code FROM person_year "
            "WHERE practice_code IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    floor = []
    for _ in range(5):
        t0 = time.perf_counter()
        con.execute(
            f"SELECT age_band, imd_decile, ltc_count, count(*), sum(cost_total) FROM person_year "
            f"WHERE fy = {fy} GROUP BY ALL"
        ).fetchall()
        floor.append((time.perf_counter() - t0) * 1000)
    con.close()

    bands = ["0-17", "18-64", "65-74", "75-84", "85+"]
    combos = itertools.cycle(itertools.product(practices, bands))
    rows = []
    with (
        httpx.Client(base_url=base, timeout=60) as ph,
        httpx.Client(base_url=base, timeout=60) as an,
    ):
        _login(ph, "bench-ph")
        _login(an, "bench-analyst")
        n = args.requests
        routes = {
            "page /pages/population (default filters)": (ph, ["/pages/population"] * n),
            "API /api/pages/population (default filters)": (ph, ["/api/pages/population"] * n),
            "API /api/filters": (ph, ["/api/filters"] * n),
        }
        for slug in PAGES:
            if slug == "population":
                continue
            routes[f"page /pages/{slug} (analyst, default)"] = (an, [f"/pages/{slug}"] * n)
            routes[f"API /api/pages/{slug} (analyst, default)"] = (an, [f"/api/pages/{slug}"] * n)
        cold = [
            f"/api/pages/population?practice={p}&age_band={b.replace('+', '%2B')}"
            for p, b in itertools.islice(combos, n)
        ]
        routes["API population, a new practice × age band each time (cold)"] = (an, cold)
        rules = [
            quote(f"ltc_count >= {k} and age >= {a} and cost_total > {c}")
            for k, a, c in itertools.islice(
                itertools.product((1, 2, 3, 4, 5), (18, 50, 65, 75, 85), (0, 500, 2000)), n
            )
        ]
        routes["cohort explorer: count-and-profile of a new rule each time (stability=skip)"] = (
            an,
            [f"/pages/cohorts?rule={r}&stability=skip" for r in rules[::-1]],
        )
        routes[
            "cohort explorer: a new rule each time (count, needs, use, turnover, volatility)"
        ] = (
            an,
            [f"/pages/cohorts?rule={r}" for r in rules],
        )
        warm = ["/pages/population", "/api/pages/population"]
        _time(ph, warm)  # first compile
        _time(an, [f"/pages/{slug}" for slug in PAGES])
        for name, (client, urls) in routes.items():
            ms = _time(client, urls)
            rows.append((name, len(ms), statistics.median(ms), _p95(ms), max(ms)))
    server.should_exit = True
    load = os.getloadavg()
    print(
        f"store: {args.data_dir} ({people:,} person-years in {fy}); load {load[0]:.1f} "
        f"{load[1]:.1f} {load[2]:.1f}"
    )
    print(f"floor (bare DuckDB group-by of the year): median {statistics.median(floor):.0f} ms")
    print("| route | requests | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, count, p50, p95, worst in rows:
        print(f"| {name} | {count} | {p50:.0f} | {p95:.0f} | {worst:.0f} |")


if __name__ == "__main__":
    main()
