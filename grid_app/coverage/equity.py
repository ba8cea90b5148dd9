"""How evenly access is spread over units (residential areas): the Gini coefficient and the bottom-20 % share.

Both read the population-weighted Lorenz curve: units sorted by their value, each weighing its people.
With equal weights the Gini is the usual sum |x_i - x_j| / (2 n^2 mean).
"""
from __future__ import annotations

import numpy as np

BOTTOM = 0.2


def _lorenz(values, weights) -> tuple[np.ndarray, np.ndarray] | None:
    """Cumulative population and access shares (both from 0 to 1), or None when there is nothing to share."""
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if x.shape != w.shape:
        raise ValueError("values and weights differ in length")
    if (x < 0).any() or (w < 0).any() or not np.isfinite(x).all() or not np.isfinite(w).all():
        raise ValueError("values and weights must be finite and >= 0")
    keep = w > 0
    x, w = x[keep], w[keep]
    total = float((x * w).sum())
    if not len(x) or total <= 0:
        return None  # no one, or no access anywhere: evenness is undefined
    order = np.argsort(x, kind="stable")
    pop = np.concatenate([[0.0], np.cumsum(w[order]) / w.sum()])
    acc = np.concatenate([[0.0], np.cumsum(x[order] * w[order]) / total])
    return pop, acc


def _gini(curve) -> float | None:
    if curve is None:
        return None
    pop, acc = curve
    return float(1.0 - np.sum(np.diff(pop) * (acc[1:] + acc[:-1])))


def _bottom(curve, bottom: float) -> float | None:
    if curve is None:
        return None
    pop, acc = curve
    return float(np.interp(bottom, pop, acc))


def gini(values, weights=None) -> float | None:
    """Gini coefficient of values (weighted by weights, e.g. residents): 0 even, towards 1 concentrated."""
    return _gini(_lorenz(values, weights))


def bottom_share(values, weights=None, bottom: float = BOTTOM) -> float | None:
    """Share of all access held by the `bottom` fraction of people with the least (0.2 when even)."""
    return _bottom(_lorenz(values, weights), bottom)


def summary(values, weights=None) -> dict:
    """Gini and bottom-20 % share of one measure across units, for the API (one Lorenz curve for both)."""
    curve = _lorenz(values, weights)
    g, b = _gini(curve), _bottom(curve, BOTTOM)
    return {"units": int(np.count_nonzero(np.asarray(weights) > 0) if weights is not None else len(values)),
            "gini": None if g is None else round(g, 4), "bottom20_share": None if b is None else round(b, 4)}
