"""De-identification of report excerpts."""
from notelens.deid import deidentify


def test_patterns_and_ner_mask_identifiers():
    text = ("Aisha Rahman, 34 years old, seen on 12/03/2026 at 14 Oak Road; NHS no 943 476 5919; "
            "phone 07700 900123; email a.rahman@example.org. Mr. Nowak visited.")
    out = deidentify(text)
    for secret in ("Aisha", "Rahman", "12/03/2026", "Oak Road", "943 476 5919", "07700 900123",
                   "a.rahman@example.org", "Nowak", "34 years old"):
        assert secret not in out, secret
    assert "[NAME]" in out and "[DATE]" in out and "[PHONE]" in out


def test_lone_first_names_are_masked_but_clinical_words_kept():
    out = deidentify("Kofi was non-compliant with the nebulisers. Obs NAD, PRN lorazepam given at 20:00.")
    assert "Kofi" not in out
    assert "non-compliant" in out and "NAD" in out and "PRN" in out and "20:00" in out
