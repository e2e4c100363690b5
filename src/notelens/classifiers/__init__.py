"""Classifiers behind the analyzer: a small interface so the model can be swapped."""
from .base import Classifier, UnitPrediction

__all__ = ["Classifier", "UnitPrediction"]
