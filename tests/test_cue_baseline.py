"""The transparent cue-phrase baseline: matching, negation, hypotheticals, advice."""
from __future__ import annotations


def labels_of(analyzer, text):
    return analyzer.analyze_units([text])[0].labels


def test_matches_phrases_from_the_guidelines(baseline_analyzer):
    u = baseline_analyzer.analyze_units(["He was restrained by four staff."])[0]
    assert u.labels == ["coercive"] and u.subtype == "restrictive_practice"
    assert u.cues and u.cues[0].text.lower().startswith("restrain")
    assert u.why["coercive"] and u.suggestion["coercive"]


def test_negated_restraint_is_not_coercive(baseline_analyzer):
    assert "coercive" not in labels_of(baseline_analyzer, "No restraint was required this shift.")
    assert "coercive" not in labels_of(baseline_analyzer, "Seclusion was not needed; she used the quiet room.")


def test_hypothetical_restraint_is_not_coercive(baseline_analyzer):
    assert "coercive" not in labels_of(baseline_analyzer, "If restraint is needed, follow the care plan.")


def test_negation_is_not_applied_to_conditions_of_threats(baseline_analyzer):
    # The negation belongs to the condition, not the cue: still a threat.
    u = baseline_analyzer.analyze_units(["Told him leave is conditional on taking his depot."])[0]
    assert "coercive" in u.labels


def test_strengths_get_no_rewording(baseline_analyzer):
    u = baseline_analyzer.analyze_units(["She chose to go to the allotment on Tuesday."])[0]
    assert u.labels == ["strengths_based"]
    assert u.suggestion == {} and u.why["strengths_based"]


def test_neutral_text_has_no_flags(baseline_analyzer):
    assert labels_of(baseline_analyzer, "BP 128/76, P 84, T 36.8. Slept 6 hours.") == []
