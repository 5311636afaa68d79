"""Tiny two-council regions for the fairness work (accounts, no-worse, membership, reservations), built so each
figure can be counted by hand.

`neighbour_region`: Manchester's one in-house foster place (S1, £500) suits both councils' children; Manchester's
child R1 (14) could also go to an agency carer S2 (£900, 10 and over), Salford's child R2 (6) to an agency carer S3
(£1,200, 9 and under). Alone, Manchester's referral comes first and takes its own place: R1 S1, R2 S3, £1,700 a
week. The regional optimum gives Manchester's place to Salford's child: R1 S2, R2 S1, £1,400, so Manchester pays
£400 a week more than alone and Salford £700 less. Every setting is at one point and R1's family at it too;
R2's family is 0.1 degrees north, the same distance from every setting.
"""

from __future__ import annotations

from pathlib import Path

from tests.builders import PROVIDER, SECOND_AUTHORITY, make_region, referral_rows, settings_rows

MANCHESTER, SALFORD = "E08000003", SECOND_AUTHORITY["la_code"]
COUNCIL = {"provider_id": "LA3", "provider_name": "Manchester City Council", "sector": "local_authority"}
POINT = (53.451, -2.233)
R2_FAMILY = (53.551, -2.233)
FOSTER_ONLY = {"residential_suitability": "unsuitable", "supported_suitability": "unsuitable"}


def neighbour_tables() -> dict[str, list[dict]]:
    settings = settings_rows(
        {"setting_type": "foster_inhouse", "provider_id": "LA3", "weekly_fee": 500, "places": 1, "vacancies": 1},
        {"setting_type": "foster_ifa", "weekly_fee": 900, "places": 1, "vacancies": 1, "age_min": 10},
        {"setting_type": "foster_ifa", "weekly_fee": 1200, "places": 1, "vacancies": 1, "age_max": 9,
         "la_code": SALFORD})
    referrals = referral_rows(
        {"la_code": MANCHESTER, "age": 14, "needed_by": "2026-12-01", "foster_suitability": "suitable",
         **FOSTER_ONLY},
        {"la_code": SALFORD, "age": 6, "needed_by": "2026-12-05", "foster_suitability": "preferred",
         "family_lat": R2_FAMILY[0], "family_lon": R2_FAMILY[1], **FOSTER_ONLY})
    return {"settings": settings, "referrals": referrals, "providers": [PROVIDER, COUNCIL]}


def neighbour_region(folder: Path, **changes):
    return make_region(folder, **(neighbour_tables() | changes))
