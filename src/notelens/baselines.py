"""Trained baselines reported beside the model: TF-IDF + logistic regression, and
frozen MiniLM sentence embeddings + logistic regression.

Both are fitted on the train split, their thresholds tuned on dev, like the model.
They implement the Classifier interface, so evaluation treats every system alike.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from .classifiers.base import UnitPrediction
from .labels import LABELS, SUBTYPES
from .train import tune_threshold


class _LogRegBaseline:
    name = "baseline"
    version = "1"

    def features(self, units: Sequence[str], fit: bool = False):
        raise NotImplementedError

    def fit(self, train_units, train_y, train_sub, dev_units, dev_y, seed: int = 13) -> "_LogRegBaseline":
        from sklearn.linear_model import LogisticRegression

        X = self.features(train_units, fit=True)
        self.heads = [LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced", random_state=seed)
                      .fit(X, train_y[:, k]) for k in range(len(LABELS))]
        m = train_sub >= 0
        self.sub_head = LogisticRegression(max_iter=2000, C=4.0, random_state=seed).fit(X[m], train_sub[m])
        p_dev = self._probs(self.features(dev_units))
        self.thresholds = {l: tune_threshold(p_dev[:, k], dev_y[:, k]) for k, l in enumerate(LABELS)}
        return self

    def _probs(self, X) -> np.ndarray:
        return np.stack([h.predict_proba(X)[:, 1] for h in self.heads], axis=1)

    def predict(self, units: Sequence[str], contexts: Sequence[str] | None = None) -> list[UnitPrediction]:
        X = self.features(units)
        p = self._probs(X)
        sub = self.sub_head.predict(X)
        out = []
        for i in range(len(units)):
            labels = [l for k, l in enumerate(LABELS) if p[i, k] >= self.thresholds[l]]
            out.append(UnitPrediction({l: float(p[i, k]) for k, l in enumerate(LABELS)}, labels,
                                      SUBTYPES[int(sub[i])] if "coercive" in labels else None, []))
        return out


class TfidfLogReg(_LogRegBaseline):
    name = "tfidf-logreg"

    def features(self, units, fit=False):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from scipy.sparse import hstack

        if fit:
            self.word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
            self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True)
            return hstack([self.word.fit_transform(units), self.char.fit_transform(units)]).tocsr()
        return hstack([self.word.transform(units), self.char.transform(units)]).tocsr()


class MiniLMEmbedLogReg(_LogRegBaseline):
    """Frozen all-MiniLM-L6-v2 mean-pooled, normalised embeddings (as sentence-transformers)."""

    name = "minilm-frozen-logreg"

    def features(self, units, fit=False):
        return embed(units)


@lru_cache(maxsize=1)
def _frozen_encoder():
    from .model import load_encoder, load_tokenizer

    return load_encoder(None, "lora").eval(), load_tokenizer()


def embed(units: Sequence[str], batch_size: int = 128) -> np.ndarray:
    import torch

    enc, tok = _frozen_encoder()
    order = sorted(range(len(units)), key=lambda i: len(units[i]))
    out = np.zeros((len(units), enc.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(units), batch_size):
            idx = order[s:s + batch_size]
            b = tok([units[i] for i in idx], padding=True, truncation=True, max_length=128, return_tensors="pt")
            h = enc(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).float()
            v = (h * m).sum(1) / m.sum(1).clamp(min=1)
            out[idx] = torch.nn.functional.normalize(v, dim=-1).numpy()
    return out
