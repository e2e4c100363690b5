"""Training, saving and loading a model: a few steps on the fixture (the real run is `make train`)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import notelens
from notelens.corpus import read_corpus, write_corpus
from notelens.errors import InputError
from notelens.model import UnsafeModelError, cue_spans, load_model
from notelens.train import TrainConfig, ece, fit_temperature, train, tune_threshold

from conftest import FIXTURES


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "tiny"
    cfg = TrainConfig(epochs=1, max_steps=4, batch_size=16, seed=3)
    train(FIXTURES / "tiny_corpus.jsonl", out, cfg, progress=False, log=lambda m: None)
    return out


def test_saved_folder_is_safetensors_only_and_small(tiny_model):
    names = {p.name for p in tiny_model.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", "heads.safetensors", "notelens_config.json"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pkl"))]
    size = sum(p.stat().st_size for p in tiny_model.iterdir())
    assert size < 25 * 2**20
    cfg = json.loads((tiny_model / "notelens_config.json").read_text())
    assert set(cfg["thresholds"]) == set(notelens.LABELS) and cfg["training"]["data_sha256"]
    assert cfg["training"]["config"]["seed"] == 3 and cfg["training"]["versions"]["torch"]


def test_loaded_model_scores_units(tiny_model):
    a = notelens.load(tiny_model)
    res = a.analyze("He was restrained by four staff.\nShe chose to phone her sister.")
    assert len(res.units) == 2
    for u in res.units:
        assert set(u.scores) == set(notelens.LABELS)
        assert all(0.0 <= p <= 1.0 for p in u.scores.values())
        for c in u.cues:
            assert res.text[c.start:c.end] == c.text and c.label in u.labels


def test_same_seed_same_model(tiny_model, tmp_path):
    cfg = TrainConfig(epochs=1, max_steps=4, batch_size=16, seed=3)
    train(FIXTURES / "tiny_corpus.jsonl", tmp_path / "again", cfg, progress=False, log=lambda m: None)
    a = json.loads((tiny_model / "notelens_config.json").read_text())["thresholds"]
    b = json.loads((tmp_path / "again" / "notelens_config.json").read_text())["thresholds"]
    assert a == b


def test_pickle_files_are_refused(tiny_model, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(tiny_model, bad)
    (bad / "pytorch_model.bin").write_bytes(b"not really a pickle")
    with pytest.raises(UnsafeModelError, match="pickle"):
        load_model(bad)


def test_test_split_leak_is_refused(tmp_path):
    notes = read_corpus(FIXTURES / "tiny_corpus.jsonl")
    test_note = next(n for n in notes if n.split == "test")
    leaked = [n for n in notes if n.split != "test"]
    copy = read_corpus(FIXTURES / "tiny_corpus.jsonl")
    sneaky = next(n for n in copy if n.id == test_note.id)
    sneaky.id, sneaky.split = "renamed", "train"  # same text, new id
    write_corpus(leaked + [sneaky], tmp_path / "train.jsonl")
    with pytest.raises(InputError, match="overlaps the test split.*same text as test note"):
        train(tmp_path / "train.jsonl", tmp_path / "m", TrainConfig(max_steps=1), progress=False,
              test_reference=FIXTURES / "tiny_corpus.jsonl", log=lambda m: None)


def test_calibration_helpers():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    z = (2 * y - 1) + rng.normal(0, 1.5, 2000)  # true log-odds are 0.89 z ...
    logits = 4.0 * z  # ... so these logits are overconfident: the fitted temperature should be about 4.5
    t = fit_temperature(logits, y)
    assert 3.0 < t < 6.0
    p_raw, p_cal = 1 / (1 + np.exp(-logits)), 1 / (1 + np.exp(-logits / t))
    assert ece(p_cal[:, None], y[:, None]) < ece(p_raw[:, None], y[:, None])
    th = tune_threshold(p_cal, y)
    assert 0.2 < th < 0.8


def test_cue_spans_merge_and_force():
    probs = np.array([0.0, 0.9, 0.8, 0.1, 0.95, 0.0])
    offsets = [(0, 0), (0, 4), (5, 9), (10, 12), (13, 17), (0, 0)]
    seq = [None, 0, 0, 0, 0, None]
    assert cue_spans(probs, offsets, seq, 0.5, force=False) == [(0, 17)]  # one-token gap bridged
    weak = np.array([0.0, 0.2, 0.3, 0.05, 0.0, 0.0])
    assert cue_spans(weak, offsets, seq, 0.5, force=False) == []
    assert cue_spans(weak, offsets, seq, 0.5, force=True) == [(0, 9)]


def test_shipped_model_backends_agree():
    """The ONNX path is built from the fp32 weights, verified, and agrees with torch on a note."""
    note = ("Told him if he refuses the depot again he loses his leave.\nRestrained by four staff.\n"
            "She chose to call her sister.")
    onnx = notelens.load(backend="onnx")
    torch_ = notelens.load(backend="torch")
    assert onnx.classifier.backend.startswith("onnx-") and torch_.classifier.backend == "torch"
    ver = onnx.classifier.runner.verification
    used = onnx.classifier.backend.split("-")[1]
    assert ver[used]["passed"] and ver[used]["flag_agreement"] >= 0.99
    a, b = onnx.analyze(note), torch_.analyze(note)
    assert [u.labels for u in a.units] == [u.labels for u in b.units]
    for ua, ub in zip(a.units, b.units):
        assert all(abs(ua.scores[l] - ub.scores[l]) < 0.05 for l in notelens.LABELS)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown backend"):
        notelens.load(backend="tpu")


def test_continuing_from_a_model_keeps_what_it_learned(tiny_model, tmp_path):
    """With learning rates of zero, a continued model must score exactly like the model it continues."""
    cfg = TrainConfig(epochs=1, max_steps=1, batch_size=16, seed=3, lr=0.0, head_lr=0.0)
    train(FIXTURES / "tiny_corpus.jsonl", tmp_path / "cont", cfg, base=tiny_model, progress=False, log=lambda m: None)
    note = "He was restrained by four staff.\\nShe chose to phone her sister."
    a = notelens.load(tiny_model, backend="torch").analyze(note)
    b = notelens.load(tmp_path / "cont", backend="torch").analyze(note)
    for ua, ub in zip(a.units, b.units):
        assert ua.scores == pytest.approx(ub.scores, abs=1e-4)
