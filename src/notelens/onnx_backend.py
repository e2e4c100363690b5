"""ONNX Runtime inference paths, built from the fp32 safetensors (the source of truth).

On first use for a model, the merged fp32 network is exported with ``torch.onnx.export``
and quantised to int8 with ``onnxruntime.quantization.quantize_dynamic``. Both graphs are
verified against the fp32 torch model on held-out units: a graph is used only if its flags
agree with fp32 on at least 99% of units and its calibrated scores differ by at most 0.02
on average. The fastest graph that passes is used (int8, else fp32 ONNX, else torch). The
graphs and the verification record are cached under ``$NOTELENS_CACHE`` (default
``~/.cache/notelens``), keyed by a hash of the model files.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .labels import LABELS

MIN_FLAG_AGREEMENT = 0.99
MAX_MEAN_ABS_DIFF = 0.02
VERIFY_UNITS = 400


class OnnxUnavailable(RuntimeError):
    pass


def cache_root() -> Path:
    return Path(os.environ.get("NOTELENS_CACHE", Path.home() / ".cache" / "notelens"))


def fingerprint(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(folder).glob("*")):
        if p.suffix in (".safetensors", ".json") and p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:20]


class OnnxRunner:
    def __init__(self, path: Path, threads: int | None = None) -> None:
        self.backend = "onnx-int8" if "int8" in Path(path).name else "onnx-fp32"
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or int(os.environ.get("OMP_NUM_THREADS", 0)) or (os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray):
        return tuple(self.session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask,
                                             "token_type_ids": token_type_ids}))


def export_int8(net, tokenizer, out_dir: Path) -> Path:
    """fp32 torch network -> model.fp32.onnx (dynamic batch and length) -> model.int8.onnx."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    enc = tokenizer(["Restrained by staff.", "Plan agreed with her."], ["", "Settled."], padding=True,
                    return_tensors="pt", return_token_type_ids=True)
    fp32 = out_dir / "model.fp32.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {k: {0: "batch", 1: "seq"} for k in names}
    axes.update({"label_logits": {0: "batch"}, "subtype_logits": {0: "batch"}, "cue_logits": {0: "batch", 1: "seq"}})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), tuple(enc[k] for k in names), str(fp32), input_names=names,
                          output_names=["label_logits", "subtype_logits", "cue_logits"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    int8 = out_dir / "model.int8.onnx"
    import logging

    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic logs advice through the root logger
    # Per-channel int8 weights on the matrix multiplications; the small heads stay fp32.
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])
    return int8


def verification_units() -> list[tuple[str, str]]:
    """Held-out units (corpus test split) with their contexts; bundled samples if no corpus."""
    from .resources import REPO_ROOT, samples_dir
    from .segment import segment

    corpus = REPO_ROOT / "training" / "data" / "corpus.jsonl"
    units: list[tuple[str, str]] = []
    if corpus.is_file():
        from .corpus import read_corpus

        for n in read_corpus(corpus):
            if n.split == "test":
                units += [(n.unit_text(u), n.unit_text(n.units[i - 1]) if i else "") for i, u in enumerate(n.units)]
    if not units:
        for p in sorted((samples_dir() / "notes").glob("*.txt")):
            us = segment(p.read_text())
            units += [(u.text, us[i - 1].text if i else "") for i, u in enumerate(us)]
    return units[:VERIFY_UNITS]


def _timed_probs(classifier, texts, ctx) -> tuple[np.ndarray, float]:
    import time

    classifier.raw_outputs(texts[:32], ctx[:32])  # warm-up
    t0 = time.perf_counter()
    probs = classifier.raw_outputs(texts, ctx)[0]
    return probs, len(texts) / (time.perf_counter() - t0)


def verify(reference, candidate, units: list[tuple[str, str]]) -> dict:
    """Flag agreement and score differences of ``candidate`` against ``reference``, and both speeds."""
    texts, ctx = [u for u, _ in units], [c for _, c in units]
    p_ref, ref_speed = _timed_probs(reference, texts, ctx)
    p_new, speed = _timed_probs(candidate, texts, ctx)
    th = np.array([reference.thresholds[l] for l in LABELS])
    agree = ((p_ref >= th) == (p_new >= th)).all(1)
    diff = np.abs(p_ref - p_new)
    return {"units": len(texts), "flag_agreement": round(float(agree.mean()), 4),
            "mean_abs_diff": round(float(diff.mean()), 5), "max_abs_diff": round(float(diff.max()), 4),
            "passed": bool(agree.mean() >= MIN_FLAG_AGREEMENT and diff.mean() <= MAX_MEAN_ABS_DIFF),
            "units_per_s": round(speed, 1), "torch_units_per_s": round(ref_speed, 1),
            "criteria": {"min_flag_agreement": MIN_FLAG_AGREEMENT, "max_mean_abs_diff": MAX_MEAN_ABS_DIFF}}


def build_artefact(folder: Path, config, tokenizer) -> tuple[Path, dict]:
    """(cache folder holding model.int8.onnx and model.fp32.onnx, verification record), built on first use."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as e:
        raise OnnxUnavailable(f"onnxruntime is not installed ({e})") from None
    target = cache_root() / "onnx" / fingerprint(folder)
    record = target / "verification.json"
    if not record.is_file():
        from .model import TorchRunner, TrainedClassifier, load_net

        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-"))
        try:
            net = load_net(Path(folder), config)
            int8 = export_int8(net, tokenizer, tmp)
            reference = TrainedClassifier(TorchRunner(net), tokenizer, config)
            units = verification_units()
            result = {name: verify(reference, TrainedClassifier(OnnxRunner(path), tokenizer, config), units)
                      for name, path in (("int8", int8), ("fp32", tmp / "model.fp32.onnx"))}
            (tmp / "verification.json").write_text(json.dumps(result, indent=2))
            try:
                os.replace(tmp, target)  # atomic: another process may have built it meanwhile
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
        except Exception as e:  # export or quantisation failed: fall back, never crash the load
            shutil.rmtree(tmp, ignore_errors=True)
            raise OnnxUnavailable(f"could not build the ONNX models ({type(e).__name__}: {e})") from None
    return target, json.loads(record.read_text())


class TorchIsFaster(OnnxUnavailable):
    """Every verified ONNX graph was slower than torch on this machine: use torch."""


def onnx_runner(folder: Path, config, tokenizer, require_faster: bool = False) -> OnnxRunner:
    """The fastest verified ONNX runner for ``folder``.

    OnnxUnavailable if no graph passed verification; with ``require_faster``,
    TorchIsFaster if the best one was slower than the fp32 torch model when verified.
    """
    target, result = build_artefact(folder, config, tokenizer)
    passed = [(v.get("units_per_s", 0), name) for name, v in result.items() if v.get("passed")]
    if not passed:
        v = result.get("int8", {})
        raise OnnxUnavailable(f"no ONNX graph passed verification against fp32 (int8: "
                              f"{v.get('flag_agreement', 0):.1%} flags agree, mean score difference "
                              f"{v.get('mean_abs_diff')})")
    speed, name = max(passed)
    if require_faster and speed <= result[name].get("torch_units_per_s", 0):
        raise TorchIsFaster(f"verified ONNX {name} ran at {speed} units/s, torch at "
                            f"{result[name]['torch_units_per_s']}")
    runner = OnnxRunner(target / f"model.{name}.onnx")
    runner.verification = result
    return runner
