"""Malay vs Indonesian: the document-fold cross-validation that chose the dictionary weight."""

import pytest

from filters import langid_train
from filters.langid_msid_cv import FOLDS, accuracy, ntrex_folds


@pytest.mark.parametrize("lang", ["ms", "id"])
def test_last_fold_is_exactly_the_shipped_held_out_split(shared_data, lang):
    rows = ntrex_folds(shared_data, lang)
    assert [s for f, s in rows if f == FOLDS - 1] == langid_train.heldout_sentences(shared_data, lang)
    assert sorted({f for f, _ in rows}) == list(range(FOLDS))
    assert len(rows) == 1997  # every NTREX line is held out once


def test_accuracy_applies_each_weight_to_its_evidence():
    evidence = {"x_ms": [(-1.0, 0, 0.0, 1), (-20.0, 1, 0.0, 0)], "x_id": [(1.0, 0, -1.0, 0)]}
    assert accuracy(evidence, marker_weight=12, freq_weight=4, dict_weight=0) == {"x_ms": 0.0, "x_id": 1.0}
    assert accuracy(evidence, marker_weight=12, freq_weight=4, dict_weight=2) == {"x_ms": 0.5, "x_id": 1.0}
    assert accuracy(evidence, marker_weight=24, freq_weight=0, dict_weight=2) == {"x_ms": 1.0, "x_id": 0.0}
