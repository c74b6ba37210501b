"""Metrics: how good, and how diverse, are a generator's samples? Everything in float64.

Two families: mode coverage on the toy mixtures of chapter 5 (modes captured, fraction of
high-quality samples, reverse KL over modes) and sample quality on images for chapter 8
(Fréchet distance and FID, Inception Score, precision/recall, Parzen windows).
"""

from __future__ import annotations

__all__: list[str] = []
