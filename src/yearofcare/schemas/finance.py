"""Tables of the finance stage: tariffs, the capitated budget, in-year movements, the payment
schedule, activity tagging, double payment and the monthly reconciliation (004 §7.1–7.4).

Money is held as integer pence (`*_pence`, int64): every amount is rounded to the penny once,
half up, where it is first computed, and totals are sums of those integers, so they reconcile
exactly. Months are months of the financial year: 1 = April … 12 = March.
"""

from __future__ import annotations

from yearofcare import vocab
from yearofcare.schemas.model import Column as C
from yearofcare.schemas.model import table

TARIFF = "`yoc tariff` (yearofcare.finance)"
BUDGET = "`yoc budget` (yearofcare.finance)"
TAG = "`yoc tag` (yearofcare.finance)"
RECONCILE = "`yoc reconcile` (yearofcare.finance)"

OUTLIER_METHODS = ("none", "trim", "winsorise", "cap_and_pool")
BOOTSTRAP_KINDS = ("exact", "stratified")
TAG_REASONS = (
    "inside",
    "not_on_register",
    "service_outside_map",
    "outside_map_period",
)
#: Register changes that move a budget (the cohort register's join and leave reasons).
MOVEMENT_REASONS = (
    "joined",
    "changed_currency",
    "declined",
    "moved_away",
    "died",
    "stepped_down",
    "left",
)
SCHEDULE_PROFILES = ("flat", "seasonal")
RECONCILIATION_LEVELS = ("detail", "provider", "setting", "total")
ALL = "ALL"


def _pence(name: str, what: str, *, nullable: bool = True, minimum: float | None = None) -> C:
    return C(name, "int64", f"{what}, in pence.", nullable=nullable, minimum=minimum)


def _month() -> C:
    return C(
        "month",
        "int8",
        "Month of the financial year (1 = April … 12 = March).",
        nullable=False,
        minimum=1,
        maximum=12,
    )


def _cohort() -> C:
    return C("cohort_id", "string", "Cohort (from the cohort register).", nullable=False)


service_map = table(
    "service_map",
    "one row per entry of the service map in force",
    "The service map both sides agreed (004 §7.4): which settings, services, providers and HRG "
    "groups are paid from inside the capitated budget and which stay outside, with effective "
    "dates. The most specific entry that matches an activity row on its date decides.",
    [
        C("map_version", "string", "Version named in the service map file.", nullable=False),
        C("entry_id", "string", "Entry identifier.", nullable=False),
        C("line", "int32", "Line of the entry in the service map file."),
        C("setting", "string", "Care setting.", nullable=False, allowed=vocab.SETTINGS),
        C("service_types", "string", "Service types it covers, comma-separated (empty = any)."),
        C("providers", "string", "Providers it covers, comma-separated (empty = any)."),
        C("providers_other_than", "string", "Covers providers other than these (out of area)."),
        C("hrg", "string", "HRG codes or prefixes (ending *) it covers, comma-separated."),
        C("funding_routes", "string", "Funding routes it covers, comma-separated."),
        C("cost_bases", "string", "Cost bases it covers, comma-separated."),
        C("inside", "boolean", "True: paid from the capitated budget.", nullable=False),
        C("reason", "string", "Why (as agreed).", nullable=False),
        C("effective_from", "date", "First day the entry is in force.", nullable=False),
        C("effective_to", "date", "Last day in force (empty = open)."),
        C("specificity", "int8", "Number of selectors besides the setting.", nullable=False),
    ],
    key=["entry_id", "effective_from"],
    derived=True,
    produced_by=f"{TARIFF}, {TAG}",
)

tariff = table(
    "tariff",
    "one row per currency × value × financial year of costs",
    "Year of Care tariffs (004 §7.1): mean in-scope cost per registered person-year of the "
    "people in each currency value, weighted by months registered, after the configured "
    "outlier treatment, with a bootstrap confidence interval. A value with too few people is "
    "flagged; a value with none has no tariff and says why.",
    [
        C("currency", "string", "Currency.", nullable=False),
        C("value", "string", "Currency value.", nullable=False),
        C("value_order", "int16", "Position of the value in the currency's order."),
        C("fy", "int16", "Financial year whose costs set the tariff (base year).", nullable=False),
        C("scope_date", "date", "Date the service map was read at for the scope.", nullable=False),
        C(
            "people",
            "int64",
            "Person-years in the value, registered at least one month.",
            minimum=0,
        ),
        C("registered_years", "float64", "Sum of months registered / 12.", minimum=0),
        _pence("raw_mean_pence", "Mean cost per registered person-year, all services"),
        _pence("in_scope_mean_pence", "Mean in-scope cost per registered person-year"),
        C(
            "outlier_method",
            "string",
            "Outlier treatment.",
            nullable=False,
            allowed=OUTLIER_METHODS,
        ),
        _pence("low_threshold_pence", "Annualised cost below which people were treated"),
        _pence("high_threshold_pence", "Annualised cost above which people were treated"),
        C("people_trimmed", "int64", "People removed by trimming.", minimum=0),
        C("people_adjusted", "int64", "People winsorised or capped.", minimum=0),
        _pence("pool_pence", "Cost above the cap moved to the high-cost pool (base year)"),
        _pence("tariff_pence", "Tariff at base-year prices (after outlier treatment)"),
        C("price_fy", "int16", "Year the uplifted tariff is priced for."),
        _pence("uplifted_pence", "Tariff uplifted to the price year"),
        _pence("ci_low_pence", "Lower limit of the bootstrap confidence interval"),
        _pence("ci_high_pence", "Upper limit of the bootstrap confidence interval"),
        C("ci_level", "float64", "Confidence level of the interval (e.g. 0.95)."),
        C("replicates", "int32", "Bootstrap replicates.", minimum=0),
        C("bootstrap", "string", "exact or stratified resampling.", allowed=BOOTSTRAP_KINDS),
        C("small", "boolean", "Too few people or too wide an interval to rely on.", nullable=False),
        C("note", "string", "Why the tariff is flagged, or why there is none."),
        C("map_version", "string", "Service map version.", nullable=False),
    ],
    key=["currency", "value", "fy"],
    derived=True,
    produced_by=TARIFF,
)

tariff_bridge = table(
    "tariff_bridge",
    "one row per currency × value × year × step",
    "How each step moved the tariff: raw mean, service-map exclusions, outlier treatment, uplift.",
    [
        C("currency", "string", "Currency.", nullable=False),
        C("value", "string", "Currency value.", nullable=False),
        C("fy", "int16", "Base year.", nullable=False),
        C("step_order", "int8", "Order of the step.", nullable=False),
        C("step", "string", "What the step does.", nullable=False),
        _pence("amount_pence", "The tariff after the step"),
        _pence("change_pence", "Change made by the step"),
    ],
    key=["currency", "value", "fy", "step_order"],
    derived=True,
    produced_by=TARIFF,
)

tariff_component = table(
    "tariff_component",
    "one row per currency × value × year × setting × provider",
    "Where each value's in-scope cost falls (before outlier treatment): splits a budget by "
    "setting and provider and weights the service-model effect by setting.",
    [
        C("currency", "string", "Currency.", nullable=False),
        C("value", "string", "Currency value.", nullable=False),
        C("fy", "int16", "Base year.", nullable=False),
        C("setting", "string", "Care setting.", nullable=False, allowed=vocab.SETTINGS),
        C("provider_code", "string", "Provider (empty when not recorded)."),
        _pence("cost_pence", "In-scope cost of the value's people", minimum=0),
        C("share", "float64", "Share of the value's in-scope cost (0–1).", minimum=0, maximum=1),
    ],
    derived=True,
    produced_by=TARIFF,
)

tariff_person = table(
    "tariff_person",
    "one row per person × financial year with a cost or a registration",
    "Each person-year's cost in pence, all services and in scope of the service map as read at "
    "the tariff's scope date, with months registered: the people the tariffs, their bootstrap "
    "and the budget's cover view draw from.",
    [
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("fy", "int16", "Financial year.", nullable=False),
        C("months_registered", "int8", "Months registered in the year.", minimum=0, maximum=12),
        _pence("cost_all_pence", "Cost of all services", nullable=False, minimum=0),
        _pence("cost_in_pence", "Cost of the services in scope", nullable=False, minimum=0),
    ],
    key=["person_id", "fy"],
    derived=True,
    produced_by=TARIFF,
)

cost_profile = table(
    "cost_profile",
    "one row per financial year × month",
    "In-scope cost of the whole population by month: the seasonal shape a payment schedule "
    "can follow (CCGs profile acute payments by season, 004 §7.4).",
    [
        C("fy", "int16", "Financial year.", nullable=False),
        _month(),
        _pence("cost_in_pence", "In-scope cost in the month", nullable=False, minimum=0),
        C("share", "float64", "Share of the year's in-scope cost.", minimum=0, maximum=1),
        C("complete", "boolean", "True when every month of the year has activity.", nullable=False),
    ],
    key=["fy", "month"],
    derived=True,
    produced_by=TARIFF,
)

budget = table(
    "budget",
    "one row per cohort × budget year × step",
    "The capitated budget (004 §7.1–7.2): Σ tariff × months on the register / 12 for the "
    "members on 1 April, the in-year movements, then each adjustment in the stated order with "
    "its value. Memo rows (in_total false) are shown but not added.",
    [
        _cohort(),
        C("fy", "int16", "Budget year.", nullable=False),
        C("step_order", "int8", "Order the step is applied in.", nullable=False),
        C("step", "string", "Step identifier.", nullable=False),
        C("label", "string", "What the step is, in words.", nullable=False),
        C("percent", "float64", "Percentage applied by the step (adjustments)."),
        _pence("amount_pence", "Amount the step adds (negative: takes away)", nullable=False),
        _pence("running_total_pence", "Budget after the step", nullable=False),
        C("in_total", "boolean", "False for memo rows outside the budget.", nullable=False),
        C("basis", "string", "How the amount was worked out."),
        C("tariff_fy", "int16", "Base year of the tariffs used.", nullable=False),
        C("map_version", "string", "Service map version.", nullable=False),
    ],
    key=["cohort_id", "fy", "step_order"],
    derived=True,
    produced_by=BUDGET,
)

budget_cover = table(
    "budget_cover",
    "one row per cohort × budget year × probability or budget level",
    "The budget that covers the cohort's outturn with probability p, and the probability of "
    "overspend at each budget level: a predictive bootstrap of the members' annual costs.",
    [
        _cohort(),
        C("fy", "int16", "Budget year.", nullable=False),
        C(
            "kind",
            "string",
            "probability or level.",
            nullable=False,
            allowed=("probability", "level"),
        ),
        C("probability", "float64", "Probability the outturn is at or below the budget."),
        _pence("budget_pence", "Budget level", nullable=False),
        C("relative_to_budget", "float64", "Budget level ÷ the set budget."),
        C("overspend_probability", "float64", "Probability the outturn exceeds the level."),
        C("replicates", "int32", "Bootstrap replicates.", minimum=1),
    ],
    key=["cohort_id", "fy", "kind", "budget_pence"],
    derived=True,
    produced_by=BUDGET,
)

budget_movement = table(
    "budget_movement",
    "one row per register change in a budget year",
    "How the budget follows people (004 §7.4): joiners paid pro rata from their join month, "
    "leavers and deaths removed from their leave month, currency changes re-priced from the "
    "month they change. Amounts are at tariff prices, before adjustments.",
    [
        _cohort(),
        C("fy", "int16", "Budget year.", nullable=False),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("spell", "int16", "Register spell that changed.", nullable=False),
        _month(),
        C("effective_date", "date", "Join or leave date.", nullable=False),
        C("reason", "string", "What changed.", nullable=False, allowed=MOVEMENT_REASONS),
        C("value_from", "string", "Currency value before (leavers, changes)."),
        C("value_to", "string", "Currency value after (joiners, changes)."),
        C("months", "int8", "Months of the year affected.", minimum=0, maximum=12),
        _pence("amount_pence", "Change to the budget", nullable=False),
    ],
    derived=True,
    produced_by=BUDGET,
)

payment_schedule = table(
    "payment_schedule",
    "one row per cohort × budget year × month",
    "Monthly payments that sum to the annual budget to the penny: the budget × each month's "
    "share (flat, or the seasonal shape of historical in-scope cost) in whole pence, the "
    "pence left over given one each to the months with the largest remainders.",
    [
        _cohort(),
        C("fy", "int16", "Budget year.", nullable=False),
        _month(),
        C("month_start", "date", "First day of the month.", nullable=False),
        C("profile", "string", "flat or seasonal.", nullable=False, allowed=SCHEDULE_PROFILES),
        C("share", "float64", "Share of the annual budget.", nullable=False, minimum=0),
        _pence("amount_pence", "Payment", nullable=False),
        _pence("cumulative_pence", "Payments to the end of the month", nullable=False),
    ],
    key=["cohort_id", "fy", "month"],
    derived=True,
    produced_by=BUDGET,
)

activity_tag = table(
    "activity_tag",
    "one row per costed activity row",
    "Every activity row tagged as it flows (004 §7.4): inside the capitated budget (the person "
    "was on the register that day and the service map puts the service inside) or outside, "
    "with the reason and the service map entry that decided.",
    [
        C(
            "activity_id",
            "string",
            "Activity row (its person and dates are in activity).",
            nullable=False,
        ),
        C("fy", "int16", "Financial year of the start date.", nullable=False),
        _month(),
        C("cohort_id", "string", "Cohort whose register was read.", nullable=False),
        C("setting", "string", "Care setting.", nullable=False, allowed=vocab.SETTINGS),
        C("provider_code", "string", "Provider."),
        _pence("cost_pence", "Cost", nullable=False, minimum=0),
        C("inside", "boolean", "Paid from inside the capitated budget.", nullable=False),
        C("reason", "string", "Why inside or outside.", nullable=False, allowed=TAG_REASONS),
        C("map_entry", "string", "Service map entry that decided (empty outside its period)."),
    ],
    key=["activity_id", "cohort_id"],
    derived=True,
    produced_by=TAG,
)

billed_line = table(
    "billed_line",
    "one line of a provider's PbR or contract-monitoring billing",
    "What providers billed outside the capitated budget, loaded by `yoc ingest --source "
    "billed_lines` (people identified by keyed pseudonym like every extract). Matched against "
    "activity tagged inside to find double payment.",
    [
        C("line_id", "string", "Load-prefixed line identifier.", nullable=False),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C(
            "linked",
            "boolean",
            "True when the line's NHS number was valid (linked).",
            nullable=False,
        ),
        C(
            "file_row",
            "int64",
            "Line of the billed-lines file, as a spreadsheet numbers it (the header is line 1).",
        ),
        C("line_ref", "string", "The provider's line reference.", nullable=False),
        C(
            "billing_route",
            "string",
            "pbr or contract_monitoring.",
            allowed=("pbr", "contract_monitoring"),
        ),
        C("provider_code", "string", "Provider that billed.", nullable=False),
        C(
            "funding_route",
            "string",
            "Who pays for the care billed (when the line says).",
            allowed=vocab.FUNDING_ROUTES,
        ),
        C(
            "setting",
            "string",
            "Point of delivery as a care setting.",
            nullable=False,
            allowed=vocab.SETTINGS,
        ),
        C("service_type", "string", "Service billed (when the line names it)."),
        C("hrg", "string", "HRG or currency billed (when the line names it)."),
        C("activity_date", "date", "Date of the activity billed.", nullable=False),
        _pence("billed_pence", "Amount billed", nullable=False, minimum=0),
    ],
    key=["line_id"],
    derived=False,
    produced_by="`yoc ingest --source billed_lines`",
)

double_payment = table(
    "double_payment",
    "one row per billed line matched to activity tagged inside",
    "Double payment (004 §7.4 note 101): care paid from the capitated budget that a provider "
    "also billed through PbR or contract monitoring. A line matches activity of the same "
    "person, provider, setting and date (and HRG, service and funding route when the line names them).",
    [
        C("line_id", "string", "Billed line.", nullable=False),
        C("line_ref", "string", "The provider's line reference.", nullable=False),
        C("file_row", "int64", "Line of the billed-lines file (the header is line 1)."),
        C("provider_code", "string", "Provider.", nullable=False),
        C("person_id", "string", "Keyed pseudonym.", nullable=False),
        C("activity_date", "date", "Date of the activity.", nullable=False),
        C("fy", "int16", "Financial year.", nullable=False),
        _month(),
        C("setting", "string", "Setting.", nullable=False, allowed=vocab.SETTINGS),
        C("cohort_id", "string", "Cohort whose budget paid for it.", nullable=False),
        C(
            "activity_id",
            "string",
            "Activity row tagged inside that the line bills.",
            nullable=False,
        ),
        C(
            "activity_rows",
            "int32",
            "Activity rows tagged inside that the line matches.",
            minimum=1,
        ),
        _pence("billed_pence", "Amount billed", nullable=False),
    ],
    key=["line_id", "cohort_id"],
    derived=True,
    produced_by=RECONCILE,
)

reconciliation = table(
    "reconciliation",
    "one row per cohort × budget year × complete month × provider × setting (and their totals)",
    "Monthly reconciliation: the month's budget (the payment schedule split by the provider "
    "and setting shares of the tariffs' in-scope cost) against actual in-scope cost tagged "
    "inside, year-to-date variance, and the forecast outturn with an interval as it stood at "
    "the end of the month. Rows with level total (provider and setting ALL) are the cohort's "
    "per-period totals; at month 12 of a complete year ytd_actual_pence is the outturn.",
    [
        _cohort(),
        C("fy", "int16", "Budget year.", nullable=False),
        _month(),
        C("period_start", "date", "First day of the month.", nullable=False),
        C("period_end", "date", "Last day of the month.", nullable=False),
        C(
            "level",
            "string",
            "detail, provider, setting or total.",
            nullable=False,
            allowed=RECONCILIATION_LEVELS,
        ),
        C(
            "provider_code",
            "string",
            f"Provider ({ALL} on setting and total rows).",
            nullable=False,
        ),
        C("setting", "string", f"Setting ({ALL} on provider and total rows).", nullable=False),
        _pence("budget_pence", "Budget for the month", nullable=False),
        _pence("actual_pence", "In-scope cost tagged inside"),
        _pence("variance_pence", "Budget − actual (positive = underspend)"),
        _pence("ytd_budget_pence", "Budget to the end of the month", nullable=False),
        _pence("ytd_actual_pence", "Actual to the end of the month"),
        _pence("ytd_variance_pence", "Year-to-date budget − actual"),
        _pence("forecast_outturn_pence", "Forecast full-year actual as at the month end"),
        _pence("forecast_low_pence", "Lower limit of the forecast interval"),
        _pence("forecast_high_pence", "Upper limit of the forecast interval"),
        _pence("annual_budget_pence", "Budget for the whole year", nullable=False),
        _pence("double_billed_pence", "Billed lines matched to this month's inside activity"),
        C(
            "complete",
            "boolean",
            "True when the store has activity for the whole month.",
            nullable=False,
        ),
    ],
    key=["cohort_id", "fy", "month", "provider_code", "setting"],
    derived=True,
    produced_by=RECONCILE,
)

TABLES = (
    service_map,
    tariff,
    tariff_bridge,
    tariff_component,
    tariff_person,
    cost_profile,
    budget,
    budget_cover,
    budget_movement,
    payment_schedule,
    activity_tag,
    billed_line,
    double_payment,
    reconciliation,
)
