from notelens.labels import BY_NAME, LABEL_INFO, LABELS, PROBLEM_LABELS, SUBTYPES, check_label

import pytest


def test_five_labels_match_the_spec():
    assert LABELS == ("coercive", "paternalistic", "trauma_unaware", "stigmatizing", "strengths_based")
    assert SUBTYPES == ("threat", "leverage", "restrictive_practice")
    assert set(PROBLEM_LABELS) == set(LABELS) - {"strengths_based"}


def test_every_label_has_a_distinct_colour_and_title():
    assert len({l.colour for l in LABEL_INFO}) == 5
    assert all(BY_NAME[l].title and BY_NAME[l].description for l in LABELS)


def test_check_label_rejects_unknown():
    assert check_label("coercive") == "coercive"
    with pytest.raises(ValueError, match="unknown label"):
        check_label("rude")
