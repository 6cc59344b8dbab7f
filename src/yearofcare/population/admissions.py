"""Emergency admissions: acute non-elective spells that are not maternity, births or transfers.

HES counts maternity admissions (admission methods 31-32), births (82-83) and transfers (81)
as non-elective, and they are costed and counted there (`n_non_elective`), but they are not
emergency admissions (21-2D): a delivery is not a crisis. `n_emergency` in person_year, the
"emergency admissions" of the analyses and the crisis curves count only these.
"""

from __future__ import annotations

import ibis

from yearofcare.vocab import NON_EMERGENCY_ADMISSIONS

NON_ELECTIVE = "acute_non_elective"


def is_emergency_admission(setting: ibis.StringValue, service_type: ibis.StringValue):
    """True for an acute non-elective row whose service type is not a non-emergency one (an
    empty service type counts as an emergency, as most extracts without one are)."""
    return (setting == NON_ELECTIVE) & ~service_type.fill_null("").isin(
        list(NON_EMERGENCY_ADMISSIONS)
    )
