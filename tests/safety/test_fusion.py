"""The fused layer's trees, walked with numpy, give sklearn's own probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.safety.fusion import FEATURE_NAMES, Fusion, Trees
from bot.safety.training import fusion_model


@pytest.fixture(scope="module")
def fitted() -> tuple[object, np.ndarray]:
    rng = np.random.RandomState(7)
    x = rng.rand(600, len(FEATURE_NAMES))
    y = ((x[:, 0] > 0.6) | ((x[:, 3] > 0.5) & (x[:, 20] > 0.4))).astype(int)
    return fusion_model().fit(x, y), rng.rand(50, len(FEATURE_NAMES))


def test_trees_give_sklearns_probabilities(fitted, tmp_path: Path) -> None:
    model, probe = fitted
    fusion = Fusion(Trees.from_sklearn(model), float(model._baseline_prediction.ravel()[0]),
                    0.8, 0.3)
    fusion.save(tmp_path / "fusion.npz")
    loaded = Fusion.load(tmp_path / "fusion.npz")
    expected = model.predict_proba(probe)[:, 1]
    got = np.array([loaded.score(row) for row in probe])
    assert np.allclose(got, expected, atol=1e-9)
    assert (loaded.escalate_at, loaded.review_at) == (0.8, 0.3)


def test_a_layer_trained_on_other_features_is_refused(fitted, tmp_path: Path) -> None:
    model, _ = fitted
    Fusion(Trees.from_sklearn(model), 0.0, 0.8, 0.3).save(tmp_path / "fusion.npz")
    with np.load(tmp_path / "fusion.npz") as data:
        arrays = dict(data)
    arrays["names"] = np.array(FEATURE_NAMES[:-1] + ("context.other",))
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(ValueError):
        Fusion.load(tmp_path / "other.npz")
