"""Segmenter: tricky clinical notes, and the offset round-trip property."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from notelens.segment import MAX_UNIT_CHARS, segment


def texts(note: str) -> list[str]:
    return [u.text for u in segment(note)]


def test_lines_and_bullets_are_units():
    note = "Handover 07:30\n- obs x2 NAD\n* slept well\n\n• ate breakfast"
    assert texts(note) == ["Handover 07:30", "- obs x2 NAD", "* slept well", "• ate breakfast"]


def test_numbered_lists_do_not_split_on_the_number():
    assert texts("1. Review meds. 2. Call sister.\n3. Plan: home leave") == [
        "1. Review meds.", "2. Call sister.", "3. Plan: home leave"]


def test_sbar_headings_stay_with_their_text_and_alone_when_alone():
    note = "S: Pt settled. Ate lunch.\nSituation:\nB: Detained under s.3 MHA since May."
    assert texts(note) == ["S: Pt settled.", "Ate lunch.", "Situation:", "B: Detained under s.3 MHA since May."]


def test_abbreviations_and_shorthand_do_not_end_sentences():
    note = "Pt. seen by Dr. Okafor e.g. re meds approx. 20:00 with Mrs. Lee. IM lorazepam 2mg given."
    assert texts(note) == ["Pt. seen by Dr. Okafor e.g. re meds approx. 20:00 with Mrs. Lee.",
                           "IM lorazepam 2mg given."]


def test_times_and_section_numbers():
    assert texts("Given at 20:00. Under s.3 MHA. Obs x2. Settled") == [
        "Given at 20:00.", "Under s.3 MHA.", "Obs x2.", "Settled"]


def test_quoted_speech_keeps_its_own_full_stops():
    note = 'She said "I want to go home. Now." and walked off. Later calm.'
    assert texts(note) == ['She said "I want to go home. Now." and walked off.', "Later calm."]
    note2 = "He said 'leave me alone. I mean it.' Staff gave space."
    assert texts(note2) == ["He said 'leave me alone. I mean it.'", "Staff gave space."]


def test_question_and_exclamation_marks():
    assert texts("Is she OK? Yes! Calm now.") == ["Is she OK?", "Yes!", "Calm now."]


def test_initials_are_not_sentence_ends():
    assert texts("Seen with J. Smith (CPN). Plan agreed.") == ["Seen with J. Smith (CPN).", "Plan agreed."]


def test_very_long_lines_are_capped():
    line = ("word " * 1000).strip()
    units = segment(line)
    assert len(units) > 1
    assert all(len(u.text) <= MAX_UNIT_CHARS for u in units)
    assert " ".join(u.text for u in units) == line


def test_crlf_and_whitespace_only():
    note = "Line one.\r\nLine two.\r\n   \r\n"
    assert texts(note) == ["Line one.", "Line two."]
    assert segment("   \n\t ") == []


def test_spacy_method_also_round_trips():
    note = "Pt. settled overnight. Seen by Dr. Patel.\n- obs NAD"
    for u in segment(note, method="spacy"):
        assert note[u.start:u.end] == u.text


ALPHABET = st.sampled_from(list("abcXY .!?:;-*'\"\n\t\r0123456789") + ["Dr. ", "e.g. ", "s.3 ", "\u2022", "é", "\u201c", "\u201d"])


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=300).map("".join))
def test_offsets_round_trip(note):
    units = segment(note, max_chars=40)
    prev_end = 0
    for u in units:
        assert note[u.start:u.end] == u.text
        assert u.text and u.text == u.text.strip()
        assert u.start >= prev_end
        prev_end = u.end
    # Nothing but whitespace is left out.
    covered = set()
    for u in units:
        covered.update(range(u.start, u.end))
    assert all(note[i].isspace() for i in range(len(note)) if i not in covered)
