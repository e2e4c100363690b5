"""Reading JSONL input with errors that name the file and line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from .errors import InputError


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line; InputError on the first bad one."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"file not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a JSONL file")
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{path}: line {n} is not UTF-8") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}: line {n} is not JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}: line {n} is not a JSON object")
            yield n, obj


def read_id_text_jsonl(path: Path) -> list[tuple[str, str]]:
    """Read ``{"id", "text"}`` lines; every line must have a non-empty text."""
    rows = []
    for n, obj in iter_jsonl(path):
        text = obj.get("text")
        if not isinstance(text, str):
            raise InputError(f"{path}: line {n} has no \"text\" string")
        if not text.strip():
            raise InputError(f"{path}: line {n} has an empty text")
        rows.append((str(obj.get("id", n)), text))
    if not rows:
        raise InputError(f"{path} is empty")
    return rows
