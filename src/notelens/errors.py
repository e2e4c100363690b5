"""Errors that mean "the input is wrong" (reported to users in one line)."""


class InputError(ValueError):
    """Bad user input: missing file, not UTF-8, empty, malformed line."""
