"""The home-search standard's fuller referral in the match: risks, pets, language, religion and culture, disability
adaptations and education (data/schema.py's SEARCH_* columns say which is a hard rule and which a cost term).

Hard rules (filters of candidates.py, in its RULES order, with reasons for a child left unmatched):
    risks        a home that lists the risks it manages lists each the child brings (a home listing none: not stated)
    pets         a child who cannot live with animals goes to no home that has them
    adaptations  the home has every adaptation the child's disability needs
    education    a child needing education on site goes only to a home that gives it
Cost terms (columns of allocations.csv, with cost_reasons saying why each was added; MatchParams' values):
    risk_cost       risk_unstated_cost per risk the child brings that the home states nothing about
    pet_cost        the child's pet should come and the home does not accept pets
    language_cost   nobody in the home speaks the child's first language
    culture_cost    per one of the child's religion and culture the home does not list
    education_cost  the home does not list the mainstream, special school or alternative provision needed
Free text (language, religion, culture) is compared without case or surrounding spaces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.vocabulary import ADAPTATIONS, EDUCATION_PROVISIONS, RISKS
from optimiser.match.params import MatchParams

RULES: tuple[tuple[str, str, str], ...] = (
    ("risks", "lists each risk the child brings among those it manages (where it lists any)",
     "no home that manages the child's risks"),
    ("pets", "has no animals, for a child who cannot live with them", "no home without animals"),
    ("adaptations", "has each adaptation the child's disability needs", "no home with the adaptations needed"),
    ("education", "gives education on site, for a child who needs it", "no home with education on site"),
)
COST_TERMS = ("risk_cost", "pet_cost", "language_cost", "culture_cost", "education_cost")
RISK_BIT = {code: 1 << i for i, code in enumerate(RISKS)}
ADAPTATION_BIT = {code: 1 << i for i, code in enumerate(ADAPTATIONS)}
WITHIN_REACH = tuple(p for p in EDUCATION_PROVISIONS if p != "on_site")


def _mask(items: pd.Series, bits: dict[str, int]) -> np.ndarray:
    return items.map(lambda listed: sum(bits.get(i, 0) for i in (listed or ()))).to_numpy(dtype=np.int64)


def _text(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.lower()


def referral_arrays(r: pd.DataFrame) -> dict[str, np.ndarray]:
    return {"risks": _mask(r["risks"], RISK_BIT), "no_pets": r["pets"].eq("no_pets_in_home").to_numpy(),
            "adaptations": _mask(r["adaptations"], ADAPTATION_BIT),
            "on_site": r["education_provision"].eq("on_site").to_numpy()}


def setting_arrays(s: pd.DataFrame) -> dict[str, np.ndarray]:
    return {"risks_managed": _mask(s["risks_managed"], RISK_BIT), "pets_in_home": s["pets_in_home"].to_numpy(bool),
            "adaptations": _mask(s["adaptations"], ADAPTATION_BIT),
            "on_site": s["education_provision"].map(lambda p: "on_site" in (p or ())).to_numpy(dtype=bool)}


def pair_checks(r: dict, s: dict, ref_idx: np.ndarray, set_idx: np.ndarray) -> dict[str, np.ndarray]:
    """The four hard rules, one verdict per (referral, setting) pair."""
    managed = s["risks_managed"][set_idx]
    return {
        "risks": (managed == 0) | ((r["risks"][ref_idx] & ~managed) == 0),
        "pets": ~(r["no_pets"][ref_idx] & s["pets_in_home"][set_idx]),
        "adaptations": (r["adaptations"][ref_idx] & ~s["adaptations"][set_idx]) == 0,
        "education": ~r["on_site"][ref_idx] | s["on_site"][set_idx],
    }


def _missing_from_list(wanted: pd.Series, offered: pd.Series, ref_idx: np.ndarray, set_idx: np.ndarray) -> np.ndarray:
    """Per pair: the referral asks for something (non-blank) the setting's list does not hold, compared as
    _text compares. Each referral's wish and each setting's list are coded once; a pair is then one lookup among
    the sorted (setting, item) codes."""
    wants = _text(wanted).to_numpy(dtype=object)
    items = offered.map(lambda listed: list(dict.fromkeys(str(o).strip().lower() for o in (listed or ()))))
    holder = np.repeat(np.arange(len(offered)), items.map(len).to_numpy(dtype=np.int64))
    flat = np.array([item for listed in items for item in listed], dtype=object)
    codes, vocabulary = pd.factorize(np.concatenate([wants, flat]))
    want_code, item_code = codes[:len(wants)], codes[len(wants):]
    held = np.sort(holder.astype(np.int64) * len(vocabulary) + item_code)
    asks = (wants != "")[ref_idx]
    key = set_idx.astype(np.int64) * len(vocabulary) + want_code[ref_idx]
    at = np.minimum(np.searchsorted(held, key), max(len(held) - 1, 0))
    found = (held[at] == key) if len(held) else np.zeros(len(key), dtype=bool)
    return asks & ~found


def pair_costs(referrals: pd.DataFrame, settings: pd.DataFrame, ref_idx: np.ndarray, set_idx: np.ndarray,
               params: MatchParams) -> dict[str, np.ndarray]:
    """The five cost terms for the pairs (referrals.iloc[ref_idx], settings.iloc[set_idx]), each worked out once
    per referral and per setting and then looked up per pair."""
    unstated = settings["risks_managed"].map(lambda listed: not listed).to_numpy(dtype=bool)
    risks = referrals["risks"].map(lambda listed: len(listed or ())).to_numpy(dtype=float)
    # a need within reach as one bit; a setting's provisions as the bits it offers
    reach_bit = {need: 1 << i for i, need in enumerate(WITHIN_REACH)}
    need_bit = referrals["education_provision"].map(lambda need: reach_bit.get(need, 0)).to_numpy(dtype=np.int64)
    offers = settings["education_provision"].map(
        lambda offered: sum(reach_bit.get(o, 0) for o in set(offered or ()))).to_numpy(dtype=np.int64)
    needs_reach_missing = (need_bit[ref_idx] != 0) & ((offers[set_idx] & need_bit[ref_idx]) == 0)
    cultures = (_missing_from_list(referrals["religion"], settings["religions"], ref_idx, set_idx).astype(float)
                + _missing_from_list(referrals["culture"], settings["cultures"], ref_idx, set_idx).astype(float))
    return {
        "risk_cost": params.risk_unstated_cost * risks[ref_idx] * unstated[set_idx],
        "pet_cost": params.pet_cost * (referrals["pets"].eq("bringing_a_pet").to_numpy()[ref_idx]
                                       & ~settings["pets_accepted"].to_numpy(bool)[set_idx]),
        "language_cost": params.language_cost * _missing_from_list(referrals["language"], settings["languages"],
                                                                   ref_idx, set_idx),
        "culture_cost": params.culture_cost * cultures,
        "education_cost": params.education_cost * needs_reach_missing,
    }


def cost_reasons(referral: dict, setting: dict, terms: dict) -> str:
    """Why each of the fuller referral's cost terms was added to one placement, in words ("" when none was)."""
    reasons = []
    if terms.get("risk_cost", 0) > 0:
        reasons.append("the home states no risks it manages; the child brings "
                       + ", ".join(RISKS[c] for c in referral["risks"]))
    if terms.get("pet_cost", 0) > 0:
        reasons.append("the child's pet cannot come")
    if terms.get("language_cost", 0) > 0:
        reasons.append(f"nobody in the home is listed as speaking {str(referral['language']).strip()}")
    if terms.get("culture_cost", 0) > 0:
        missing = [f"{what} ({str(referral[what]).strip()})" for what, listed in
                   (("religion", "religions"), ("culture", "cultures"))
                   if str(referral[what] or "").strip() and str(referral[what]).strip().lower()
                   not in {str(o).strip().lower() for o in (setting[listed] or ())}]
        reasons.append("the home does not list the child's " + " or ".join(missing))
    if terms.get("education_cost", 0) > 0:
        need = EDUCATION_PROVISIONS[referral["education_provision"]]
        reasons.append(f"the home is not listed as having {need}")
    return "; ".join(reasons)
