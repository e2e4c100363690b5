"""Write the per-batch note briefs that corpus writers work from.

Each brief fixes the note's metadata (setting, kind, team, date), the author's
voice and the person the note is about, so that 40+ batches written in parallel
still spread evenly over settings, kinds, voices and people. Seeded: rerunning
gives the same briefs.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

SEED = 20261122
N_BATCHES = 42
NOTES_PER_BATCH = 15

SETTINGS = {
    "acute_ward": ["Willow Ward", "Cedar Ward", "Ward 3 North"],
    "picu": ["Birch PICU", "Rowan PICU"],
    "forensic": ["Hawthorn (medium secure)", "Ashdown (low secure)"],
    "community_team": ["CMHT East", "CMHT Riverside", "Early Intervention North"],
    "crisis_home_treatment": ["Crisis Team Central", "Home Treatment South"],
    "youth": ["CAMHS Inpatient Lark", "Youth Service Harbour"],
    "older_adults": ["Elm Ward (older adults)", "Memory & Later Life CMHT"],
    "eating_disorders": ["Linden ED Unit", "ED Day Service"],
    "substance_use": ["Drug & Alcohol Team West", "Detox Unit Maple"],
    "perinatal": ["Mother & Baby Unit Iris", "Perinatal Community Team"],
    "liaison": ["Liaison Psychiatry ED", "Liaison Psychiatry Wards"],
    "supported_housing": ["Greenway Supported Housing", "Step-down Flats Holm"],
}
KINDS = ["handover", "progress_note", "ward_round", "community_visit",
         "discharge_summary", "incident_report"]
# Kinds that do not fit a setting get re-drawn (no ward rounds in supported housing).
KIND_EXCLUDE = {
    "community_team": {"ward_round"},
    "supported_housing": {"ward_round"},
    "crisis_home_treatment": {"ward_round"},
    "acute_ward": {"community_visit"},
    "picu": {"community_visit"},
    "forensic": {"community_visit"},
}
ROLES = [
    ("staff nurse", ["band 5, 1 year qualified", "band 6, 8 years", "agency nurse, night shift"]),
    ("healthcare assistant", ["new starter", "15 years on the ward"]),
    ("consultant psychiatrist", ["senior, old-school", "recently appointed"]),
    ("junior doctor", ["FY2 on rotation", "CT2 psychiatry trainee"]),
    ("care coordinator", ["CPN, 10 years", "social worker background"]),
    ("occupational therapist", ["band 6"]),
    ("social worker / AMHP", ["experienced AMHP"]),
    ("peer support worker", ["lived experience, 2 years in post"]),
    ("clinical psychologist", ["trauma-informed training"]),
    ("student nurse", ["2nd year placement"]),
    ("ward manager", ["busy, writes incident reports"]),
    ("support worker (housing)", ["keyworker"]),
]
HABITS = [
    "terse shorthand, abbreviations (pt, obs, PRN, NAD, c/o, ?), few full sentences",
    "full prose paragraphs, long sentences",
    "SBAR headings (S:, B:, A:, R:)",
    "bullet points with dashes or asterisks",
    "timestamps at line starts (e.g. 14:30)",
    "templated headers (Presentation / Risk / Plan) then free text",
    "occasional typos and missing full stops",
    "numbered lists",
    "quotes the person's own words a lot",
    "mixes prose with copied medication lists and obs",
]
NAMES = [
    ("Aisha Rahman", "she/her", "British Bangladeshi"), ("Tomasz Nowak", "he/him", "Polish"),
    ("Grace Okafor", "she/her", "Nigerian-born"), ("Liam O'Connor", "he/him", "Irish"),
    ("Mei Lin Chen", "she/her", "Chinese Malaysian"), ("Jordan Ellis", "they/them", "White British"),
    ("Kwame Mensah", "he/him", "Ghanaian British"), ("Fatima Haddad", "she/her", "Syrian refugee"),
    ("Rhys Evans", "he/him", "Welsh"), ("Priya Nair", "she/her", "Indian (Kerala)"),
    ("Sam Taylor", "they/them", "White British"), ("Olusegun Adeyemi", "he/him", "Yoruba Nigerian"),
    ("Hannah Goldberg", "she/her", "Jewish British"), ("Mateus Silva", "he/him", "Brazilian"),
    ("Bronwyn McKenzie", "she/her", "Scottish"), ("Ahmed Yusuf", "he/him", "Somali British"),
    ("Zofia Kowalczyk", "she/her", "Polish"), ("Daniel Reyes", "he/him", "Filipino"),
    ("Amara Nwosu", "she/her", "Igbo British"), ("Callum Fraser", "he/him", "Scottish"),
    ("Leila Karimi", "she/her", "Iranian"), ("Tyrone Campbell", "he/him", "Black Caribbean British"),
    ("Eilidh Ross", "she/her", "Scottish Gaelic speaker"), ("Kai Nakamura", "he/him", "Japanese British"),
    ("Ruth Abebe", "she/her", "Ethiopian"), ("Jamie Walsh", "he/him", "Irish Traveller"),
    ("Noor Al-Sayed", "she/her", "Iraqi"), ("Dylan Price", "he/him", "White British"),
    ("Alex Morgan", "they/them", "mixed heritage"), ("Svetlana Ivanova", "she/her", "Russian"),
    ("Marcus Boateng", "he/him", "Ghanaian"), ("Chloe Bennett", "she/her", "White British"),
    ("Harjit Singh", "he/him", "British Sikh"), ("Imani Johnson", "she/her", "African American"),
    ("Patrick Byrne", "he/him", "Irish"), ("Yasmin Patel", "she/her", "British Gujarati"),
    ("Nikolai Petrov", "he/him", "Bulgarian"), ("Roisin Doyle", "she/her", "Northern Irish"),
    ("Tariq Hussain", "he/him", "British Pakistani"), ("Maria Gonzalez", "she/her", "Spanish"),
    ("Ben Kowalski", "he/him", "Polish British"), ("Ngozi Eze", "she/her", "Nigerian"),
    ("Ewan Hughes", "he/him", "Welsh"), ("Layla Mahmoud", "she/her", "Egyptian"),
    ("Riley Cooper", "they/them", "White British"), ("Thanh Nguyen", "he/him", "Vietnamese"),
    ("Dorothy Clarke", "she/her", "White British"), ("Arjun Mehta", "he/him", "Indian"),
    ("Sinead Murphy", "she/her", "Irish"), ("Kofi Asante", "he/him", "Ghanaian"),
    ("Elena Popescu", "she/her", "Romanian"), ("Jack Thompson", "he/him", "White British"),
]
AGE_RANGE = {"youth": (13, 19), "older_adults": (66, 91), "perinatal": (19, 42)}

# Per-batch label targets for the writer (units). Intended labels only: the gold
# labels come from blind annotation and adjudication.
BATCH_TARGETS = {
    "units": "about 200 units in total over the 15 notes (vary: 5-8 for a terse handover, 20-30 for a discharge summary)",
    "neutral": "about 60% of units neutral (no label)",
    "coercive": "22 units: about 7 threat, 7 leverage, 8 restrictive_practice",
    "paternalistic": 18,
    "trauma_unaware": 16,
    "stigmatizing": 16,
    "strengths_based": 20,
    "hard_negatives": "at least 30 neutral units that contain a trigger word or topic in benign use",
    "paraphrases": "at least a third of the positive units for each label say it WITHOUT the obvious cue words",
}


def draw_date(rng: random.Random) -> str:
    year = rng.choice([2025, 2025, 2026])
    month = rng.randint(1, 12 if year == 2025 else 10)
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


# A second wave of routine notes: the first wave's blind labels came out at ~52% neutral,
# under the 55-70% of real notes, so these batches add the dull majority of real records.
EXTRA_BATCHES = range(42, 50)
EXTRA_NOTES_PER_BATCH = 12
EXTRA_TARGETS = {
    "units": "about 170 units over the 12 notes (routine notes: 10-20 units each)",
    "neutral": "about 85-90% of units neutral: obs, vitals, meds, plans, routine events, risk boilerplate",
    "labels": "per batch roughly: coercive 3, paternalistic 4, trauma_unaware 3, stigmatizing 3, strengths_based 8",
    "hard_negatives": "at least 25 neutral units with trigger words in benign use (negated restraint, legal status as "
                      "background, 'allowed' visiting hours for all, 'search' for housing, choices respected)",
}


def main(extra: bool = False) -> None:
    rng = random.Random(SEED + (1 if extra else 0))
    out = Path(__file__).resolve().parents[1] / "data" / "raw" / "briefs"
    out.mkdir(parents=True, exist_ok=True)
    settings = list(SETTINGS)
    n = 630 if extra else 0
    for b in (EXTRA_BATCHES if extra else range(N_BATCHES)):
        rows = []
        for k in range(EXTRA_NOTES_PER_BATCH if extra else NOTES_PER_BATCH):
            setting = settings[(b * NOTES_PER_BATCH + k) % len(settings)]
            kind = KINDS[(b + k * 5) % len(KINDS)]
            while kind in KIND_EXCLUDE.get(setting, set()):
                kind = rng.choice(KINDS)
            role, seniorities = rng.choice(ROLES)
            name, pronouns, background = rng.choice(NAMES)
            lo, hi = AGE_RANGE.get(setting, (18, 70))
            rows.append({
                "id": f"n{n:04d}",
                "setting": setting,
                "kind": kind,
                "team": rng.choice(SETTINGS[setting]),
                "date": draw_date(rng),
                "author": f"{role} ({rng.choice(seniorities)}); habits: {rng.choice(HABITS)}",
                "person": f"{name}, {rng.randint(lo, hi)}, {pronouns}, {background}",
            })
            n += 1
        path = out / f"b{b:02d}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    if extra:
        (out / "targets_routine.json").write_text(json.dumps(EXTRA_TARGETS, indent=2) + "\n")
    else:
        (out / "targets.json").write_text(json.dumps(BATCH_TARGETS, indent=2) + "\n")
    print(f"wrote briefs up to id {n - 1} to {out}")


if __name__ == "__main__":
    import sys

    main(extra="--routine" in sys.argv)
