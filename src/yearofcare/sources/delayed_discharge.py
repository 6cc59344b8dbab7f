"""Delayed-discharge audit records (the RRR clinical audits, seed 004 §6.3, Figure 10): one row
per audited stay of a patient assessed as needing recovery, rehabilitation and reablement, with
the day they were medically fit to leave (the acute phase ended), the day they left, why they
stayed, and the level of RRR need assessed. Loaded into `delayed_discharge`.

Reasons are accepted in every published spelling we know of, case-insensitively:
- the four reasons of seed 004 §6.3 in its own words (and short forms: "no suitable community
  service", "awaiting assessment", "awaiting residential placement", "home not ready",
  "awaiting care package"), and our identifiers (`no_community_service` …);
- the NHS delayed transfers of care (DToC) SitRep reason codes A–I, with their names
  (A completion of assessment, B public funding, C further non-acute NHS care, Di residential
  home, Dii nursing home, E care package in own home, F community equipment and adaptations,
  G patient or family choice, H disputes, I housing). B, G and H are `other`.
A reason that is none of these is blanked and the correction recorded with its file, line,
column and value (`yoc problems`): the stay and its delayed days still count, as "reason not
recorded"; a mapping file's `code_maps:` adds local spellings. A stay with no medically fit or
discharge date, discharged before it was medically fit, or medically fit before admission is
quarantined.
"""

from __future__ import annotations

import ibis

from yearofcare.sources import common
from yearofcare.sources.base import Adapter, BuildContext, RawColumn, end_before_start

DATES = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%b-%Y")

_NO_SERVICE = "no_community_service"
_ASSESSMENT = "awaiting_assessment"
_PLACEMENT = "awaiting_placement"
_HOME = "awaiting_home_or_care_package"
_OTHER = "other"

#: Reason as written in an audit → `vocab.DELAY_REASONS` (matched case-insensitively).
REASONS: dict[str, str] = {
    # our identifiers
    **{r: r for r in (_NO_SERVICE, _ASSESSMENT, _PLACEMENT, _HOME, _OTHER)},
    # seed 004 §6.3 (the RRR audit's four reasons) in its words and short forms
    "Suitable services did not exist in the community": _NO_SERVICE,
    "No suitable community service": _NO_SERVICE,
    "No suitable service in the community": _NO_SERVICE,
    "Service not available in the community": _NO_SERVICE,
    "Waiting for an assessment": _ASSESSMENT,
    "Awaiting assessment": _ASSESSMENT,
    "Waiting for assessment": _ASSESSMENT,
    "Waiting for residential accommodation": _PLACEMENT,
    "Awaiting residential placement": _PLACEMENT,
    "Awaiting placement": _PLACEMENT,
    "Waiting for residential placement": _PLACEMENT,
    "Home not ready": _HOME,
    "Home not suitable": _HOME,
    "Home not ready / care package": _HOME,
    "Awaiting care package": _HOME,
    "Care package not in place": _HOME,
    "Waiting for a care package": _HOME,
    "Other": _OTHER,
    # NHS delayed transfers of care (DToC) SitRep reason codes and their names
    "A": _ASSESSMENT,
    "Completion of assessment": _ASSESSMENT,
    "Awaiting completion of assessment": _ASSESSMENT,
    "B": _OTHER,
    "Public funding": _OTHER,
    "Awaiting public funding": _OTHER,
    "C": _NO_SERVICE,
    "Further non-acute NHS care": _NO_SERVICE,
    "Awaiting further non-acute NHS care": _NO_SERVICE,
    "Di": _PLACEMENT,
    "D(i)": _PLACEMENT,
    "D1": _PLACEMENT,
    "Residential home placement or availability": _PLACEMENT,
    "Awaiting residential home placement or availability": _PLACEMENT,
    "Dii": _PLACEMENT,
    "D(ii)": _PLACEMENT,
    "D2": _PLACEMENT,
    "Nursing home placement or availability": _PLACEMENT,
    "Awaiting nursing home placement or availability": _PLACEMENT,
    "E": _HOME,
    "Care package in own home": _HOME,
    "Awaiting care package in own home": _HOME,
    "F": _HOME,
    "Community equipment and adaptations": _HOME,
    "Awaiting community equipment and adaptations": _HOME,
    "G": _OTHER,
    "Patient or family choice": _OTHER,
    "H": _OTHER,
    "Disputes": _OTHER,
    "I": _HOME,
    "Housing": _HOME,
}

#: Level of RRR need assessed in the acute phase → the tier of the RRR tariff
#: (`vocab.RRR_TIERS`). End of life is the highest tier.
NEEDS: dict[str, str] = {
    **dict.fromkeys(("Low", "L", "1"), "Low"),
    **dict.fromkeys(("Medium", "M", "Moderate", "2"), "Medium"),
    **dict.fromkeys(("High", "H", "3", "End of life", "EOL"), "High"),
}

COLUMNS = (
    common.NHS,
    RawColumn("PSEUDONYM", "pseudonym", optional=True, description="Pseudonym made with our key."),
    common.DOB,
    common.POSTCODE,
    RawColumn("RECORD_ID", "string", required=True, description="Audit record identifier."),
    RawColumn("PROVIDER_CODE", "string", optional=True, description="ODS code of the trust."),
    RawColumn("WARD", "string", optional=True, description="Ward, as the audit names it."),
    RawColumn("ADMISSION_DATE", "date", optional=True, formats=DATES),
    RawColumn(
        "READY_DATE",
        "date",
        required=True,
        formats=DATES,
        description="Date medically fit for discharge.",
    ),
    RawColumn("DISCHARGE_DATE", "date", required=True, formats=DATES),
    RawColumn(
        "DELAY_REASON",
        "code",
        optional=True,
        description="Why discharge was delayed (seed 004 §6.3 reasons or DToC codes A–I).",
    ),
    RawColumn("RRR_NEED", "code", optional=True, description="Level of RRR need assessed."),
)


def build(t: ibis.Table, ctx: BuildContext) -> dict[str, ibis.Table]:
    delayed = t.DISCHARGE_DATE.delta(t.READY_DATE, unit="day").cast("int32")
    record = t.select(
        record_id=common.activity_id(ctx, t.RECORD_ID),
        person_id=t.person_id,
        provider_code=t.PROVIDER_CODE,
        ward=t.WARD.strip(),
        admission_date=t.ADMISSION_DATE,
        ready_date=t.READY_DATE,
        discharge_date=t.DISCHARGE_DATE,
        delayed_days=delayed,
        # a reason recorded for a stay that was not delayed explains nothing: kept out
        reason=ibis.ifelse(delayed > 0, t.DELAY_REASON, ibis.null("string")),
        rrr_need=t.RRR_NEED,
    )
    person = common.person_rows(t, last_seen=t.DISCHARGE_DATE, **common.birth(t))
    return {"delayed_discharge": record, "person": person}


ADAPTER = Adapter(
    name="delayed_discharge",
    description="Delayed-discharge audit: medically fit date, discharge date, reason, RRR need.",
    columns=COLUMNS,
    build=build,
    record_key=("RECORD_ID",),
    rules=(
        end_before_start("DISCHARGE_DATE", "READY_DATE"),
        end_before_start("READY_DATE", "ADMISSION_DATE"),
    ),
    code_maps={"DELAY_REASON": REASONS, "RRR_NEED": NEEDS},
    date_column="DISCHARGE_DATE",
    person_rank=5,
    token_namespace="delayed_discharge",
    feeds=("delayed_discharge",),
)
