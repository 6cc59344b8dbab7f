"""The cohort register (004 §7.4): spells of membership and how they start and end.

Transitions, for one cohort:

- joined: an accepted person starts a spell on the cohort's first day (1 April after the
  selection year) or on the decision date if later;
- declined: a member who withdraws leaves on the decision date (or the day it was recorded);
- at each annual review (`yoc cohort update --fy Y`, using year Y's data) an open spell that
  began by the end of Y ends as
  - died: on the date of death (or the join date, for a death before it),
  - moved_away: absent from year Y (alive): on 31 March before Y,
  - stepped_down: present but no longer meeting the rule: on 31 March after Y,
  - changed_currency: still meeting the rule at a new currency value: on 31 March after Y, and
    a new spell opens the next day (join reason changed_currency) at the new value.

The register of a cohort is small (its members), so transitions run on pandas frames pulled
from the store; the facts they need (present, died, still selected, currency value) come from
Ibis joins in the engine (`member_facts`).
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pandas as pd

from yearofcare import schemas
from yearofcare.cohorts.rules import Rule
from yearofcare.fy import fy_end, fy_start

COLUMNS = list(schemas.get("cohort_member").names)


def empty_register() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})


def cohort_start(selection_fy: int) -> date:
    """The first day members selected from `selection_fy`'s data can join: the next 1 April."""
    return fy_start(selection_fy + 1)


def join(
    register: pd.DataFrame,
    accepted: pd.DataFrame,
    *,
    cohort_id: str,
    selection_fy: int,
    rule: str,
    version: str,
    currency: str | None,
) -> pd.DataFrame:
    """New spells for `accepted` (person_id, decided_on, practice_code, currency_value) who
    have no open spell in the cohort; returns the new rows only."""
    mine = register[register.cohort_id == cohort_id]
    open_people = set(mine[mine.leave_date.isna()].person_id)
    last_spell = mine.groupby("person_id").spell.max().to_dict()
    start = cohort_start(selection_fy)
    rows = []
    for r in accepted.itertuples(index=False):
        if r.person_id in open_people:
            continue
        decided = r.decided_on if isinstance(r.decided_on, date) else None
        rows.append(
            {
                "cohort_id": cohort_id,
                "person_id": r.person_id,
                "spell": int(last_spell.get(r.person_id, 0)) + 1,
                "practice_code": r.practice_code,
                "join_date": max(start, decided) if decided else start,
                "join_reason": "joined",
                "leave_date": None,
                "leave_reason": None,
                "selection_fy": selection_fy,
                "selection_rule": rule,
                "cohorts_version": version,
                "review_status": "accepted",
                "currency": currency,
                "currency_value": r.currency_value if currency else None,
                "currency_fy": selection_fy if currency else None,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def withdraw(
    register: pd.DataFrame, cohort_id: str, withdrawn: pd.DataFrame, today: date
) -> pd.DataFrame:
    """Close the open spells of `withdrawn` (person_id, decided_on) as declined."""
    out = register.copy()
    when = {
        r.person_id: (r.decided_on if isinstance(r.decided_on, date) else today)
        for r in withdrawn.itertuples(index=False)
    }
    sel = (out.cohort_id == cohort_id) & out.leave_date.isna() & out.person_id.isin(when)
    for i in out.index[sel]:
        out.at[i, "leave_date"] = max(when[out.at[i, "person_id"]], out.at[i, "join_date"])
        out.at[i, "leave_reason"] = "declined"
    return out


def member_facts(
    frame: ibis.Table, members: ibis.Table, fy: int, rule: Rule, currency: ibis.Table | None
) -> ibis.Table:
    """For each person in `members` (person_id): present in year `fy`, died (in or before it,
    with the date), still selected by `rule`, and the currency value in `fy`."""
    year = frame.filter(frame.fy == fy)
    year = year.select(
        _pid=year.person_id,
        present=ibis.literal(True),
        died=year.died_in_year.fill_null(False),
        date_of_death=year.date_of_death,
        selected=rule.compile(year),
    )
    m = members.select("person_id").distinct()
    j = m.left_join(year, m.person_id == year._pid).drop("_pid")
    earlier = frame.filter((frame.fy < fy) & frame.died_in_year.fill_null(False))
    earlier = earlier.group_by(_dpid=earlier.person_id).aggregate(_dd=earlier.date_of_death.min())
    j = j.left_join(earlier, j.person_id == earlier._dpid).drop("_dpid")
    j = j.mutate(
        present=j.present.fill_null(False),
        died=j.died.fill_null(False) | j._dd.notnull(),
        date_of_death=ibis.coalesce(j.date_of_death, j._dd),
        selected=j.selected.fill_null(False),
    ).drop("_dd")
    if currency is None:
        return j.mutate(currency_value=ibis.null("string"))
    c = currency.filter(currency.fy == fy).select(
        _cpid=currency.person_id, currency_value=currency.value
    )
    return j.left_join(c, j.person_id == c._cpid).drop("_cpid")


def annual_update(
    register: pd.DataFrame, cohort_id: str, facts: pd.DataFrame, fy: int
) -> pd.DataFrame:
    """The register after the annual review of year `fy` (see the module docstring)."""
    out = register.copy()
    by = facts.set_index("person_id").to_dict("index")
    end, before = fy_end(fy), fy_start(fy) - timedelta(days=1)
    new = []
    sel = (out.cohort_id == cohort_id) & out.leave_date.isna()
    for i in out.index[sel]:
        r = out.loc[i]
        if r.join_date > end:
            continue
        f = by.get(r.person_id)
        if f is None:
            continue
        if f["died"]:
            d = f["date_of_death"]
            d = end if d is None or pd.isna(d) else pd.Timestamp(d).date()
            out.at[i, "leave_date"], out.at[i, "leave_reason"] = max(d, r.join_date), "died"
        elif not f["present"]:
            out.at[i, "leave_date"], out.at[i, "leave_reason"] = (
                max(before, r.join_date),
                "moved_away",
            )
        elif not f["selected"]:
            out.at[i, "leave_date"], out.at[i, "leave_reason"] = end, "stepped_down"
        elif (
            r.currency
            and _changed(r.currency_value, f.get("currency_value"))
            and (pd.isna(r.currency_fy) or int(r.currency_fy) < fy)
        ):
            out.at[i, "leave_date"], out.at[i, "leave_reason"] = end, "changed_currency"
            new.append(
                {
                    **r.to_dict(),
                    "spell": _last_spell(out, cohort_id, r.person_id) + 1,
                    "join_date": end + timedelta(days=1),
                    "join_reason": "changed_currency",
                    "leave_date": None,
                    "leave_reason": None,
                    "currency_value": f.get("currency_value"),
                    "currency_fy": fy,
                }
            )
    if new:
        out = pd.concat([out, pd.DataFrame(new, columns=COLUMNS)], ignore_index=True)
    return out


def _changed(old, new) -> bool:
    old = None if old is None or (isinstance(old, float) and pd.isna(old)) else old
    new = None if new is None or (isinstance(new, float) and pd.isna(new)) else new
    return new is not None and old != new


def _last_spell(register: pd.DataFrame, cohort_id: str, person_id: str) -> int:
    mine = register[(register.cohort_id == cohort_id) & (register.person_id == person_id)]
    return int(mine.spell.max())
