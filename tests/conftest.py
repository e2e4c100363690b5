"""Shared fixtures: offline model loading, small corpus fixtures, no network."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def baseline_analyzer():
    import notelens

    return notelens.load("baseline")


@pytest.fixture(scope="session")
def shipped_analyzer():
    import notelens

    return notelens.load()


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    """A small valid corpus file (from tests/fixtures/tiny_corpus.jsonl)."""
    src = FIXTURES / "tiny_corpus.jsonl"
    dst = tmp_path / "tiny.jsonl"
    dst.write_text(src.read_text())
    return dst


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
