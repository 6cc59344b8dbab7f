"""Ground truth written by `yoc synth` beside the canonical tables, for validation only.

Real extracts never have these: conditions must be found from codes (`yoc build`), and upcoding
from the assessments themselves. The synthetic generator records what it simulated so the stages
that do that finding can be checked against it.
"""

from __future__ import annotations

from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table
from yearofcare.schemas.population import condition_ids

synth_condition = table(
    "synth_condition",
    "one row per person × long-term condition simulated",
    "The conditions the synthetic generator gave each person (ground truth for validating code-based condition finding).",
    [
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C(
            "condition_id",
            "string",
            "Condition from the LTC catalogue.",
            nullable=False,
            allowed=condition_ids(),
        ),
        C("onset_date", "date", "Date the condition began (diagnosis date).", nullable=False),
        C("resolved_date", "date", "Date it resolved, if it did before the person left the data."),
        C(
            "gp_recorded",
            "boolean",
            "True if the GP record holds a SNOMED CT code for it (else only hospital codes may show it).",
            nullable=False,
        ),
    ],
    key=["person_id", "condition_id"],
    derived=True,
    produced_by="`yoc synth` (yearofcare.synth)",
)

synth_assessor = table(
    "synth_assessor",
    "one row per synthetic assessor",
    "Which synthetic DST assessors systematically conclude one level of need too high (ground truth for the upcoding audit).",
    [
        C("assessor_id", "string", "Pseudonymous assessor identifier.", nullable=False),
        C("provider_code", "string", "Organisation the assessor works for."),
        C("upcoder", "boolean", "True if the assessor upcodes.", nullable=False),
    ],
    key=["assessor_id"],
    derived=True,
    produced_by="`yoc synth` (yearofcare.synth)",
)

synth_billed_line = table(
    "synth_billed_line",
    "one row per line of the synthetic billed-lines extract",
    "Which synthetic billed lines bill care already paid from the capitated budget (planted "
    "double payment) and which bill care outside it (ground truth for `yoc reconcile`).",
    [
        C("line_ref", "string", "The line reference in the extract.", nullable=False),
        C("provider_code", "string", "Provider that billed.", nullable=False),
        C("activity_ref", "string", "Synthetic activity the line bills.", nullable=False),
        C(
            "double_billed",
            "boolean",
            "True when the activity was inside the budget.",
            nullable=False,
        ),
        C("billed_pence", "int64", "Amount billed, in pence.", nullable=False),
    ],
    key=["line_ref"],
    derived=True,
    produced_by="`yoc synth --billed-lines` (yearofcare.synth)",
)

TABLES = (synth_condition, synth_assessor, synth_billed_line)
