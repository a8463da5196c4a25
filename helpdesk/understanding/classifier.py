"""The statistical intent classifier: TF-IDF n-grams and a linear SVM.

Character n-grams (within word boundaries) survive typos, missing accents and
SMS spelling; word n-grams carry phrases such as "mot de passe" or "out of office".
It is trained at load time from the text files, so no opaque model file is shipped
and a new utterance in kb/intents/ takes effect on the next start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from helpdesk.understanding._text import normalise


@dataclass(frozen=True, slots=True)
class Ranked:
    """Probabilities of every label for one text, best first."""

    labels: tuple[str, ...]
    probabilities: tuple[float, ...]


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    return (
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
        TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w+\b",  # noqa: S106 -- a regex, not a password
        ),
    )


class TextClassifier:
    """Linear classifiers with probabilities, one per labelling, over shared n-grams.

    Several labellings of the same texts (intent, language) share one vectorisation:
    fitting the n-gram vocabulary is the slow half of training.
    """

    def __init__(
        self,
        texts: Sequence[str],
        labellings: Mapping[str, Sequence[str]],
        *,
        c: float = 0.5,
        temperature: float = 6.0,
    ) -> None:
        # The two vectorisations side by side, as scikit-learn's FeatureUnion builds them;
        # done here because FeatureUnion's per-call machinery (joblib, output containers)
        # cost more than the vectorising of one chat message.
        self._vectorizers = _vectorizers()
        normalised = [normalise(t) for t in texts]
        matrix = sparse.hstack([v.fit_transform(normalised) for v in self._vectorizers]).tocsr()
        self._last: tuple[str, Any] = ("", None)
        self._models: dict[str, LinearSVC] = {}
        self._labels: dict[str, tuple[str, ...]] = {}
        for name, labels in labellings.items():
            if len(set(labels)) < 2:
                raise ValueError(f"{name}: a classifier needs at least two labels")
            # A linear SVM trains in a fraction of a second on a few thousand lines where
            # a logistic regression over the same 100k n-grams takes several; its margins
            # become probabilities through a softmax (see `_softmax`).
            model = LinearSVC(C=c).fit(matrix, list(labels))
            self._models[name] = model
            self._labels[name] = tuple(str(x) for x in model.classes_)
        self._temperature = temperature

    def labels(self, labelling: str) -> tuple[str, ...]:
        """The classes of one labelling, in model order."""
        return self._labels[labelling]

    def _matrix(self, text: str) -> Any:
        """The features of one text; the intent and the language ask for the same text
        in turn, so the last one is kept."""
        normalised = normalise(text)
        last = self._last  # one read: the email responder may classify in another thread
        if last[0] == normalised and last[1] is not None:
            return last[1]
        rows = [v.transform([normalised]) for v in self._vectorizers]
        matrix = sparse.hstack(rows).tocsr()
        self._last = (normalised, matrix)
        return matrix

    def _probabilities(self, labelling: str, text: str) -> np.ndarray:
        model = self._models[labelling]
        # LinearSVC.decision_function, without its per-call input checks: X·wᵀ + b.
        margins = np.asarray(self._matrix(text) @ model.coef_.T, dtype=float) + model.intercept_
        if margins.shape[1] == 1:
            # A binary SVM gives one margin, positive for the second class.
            margins = np.array([[-margins[0, 0], margins[0, 0]]]) / 2
        return _softmax(margins[0] * self._temperature)

    def rank(self, labelling: str, text: str) -> Ranked:
        """Every label with its probability for `text`, most probable first."""
        probs = self._probabilities(labelling, text)
        labels = self._labels[labelling]
        order = np.argsort(-probs, kind="stable")
        return Ranked(
            labels=tuple(labels[i] for i in order),
            probabilities=tuple(float(probs[i]) for i in order),
        )

    def probability(self, labelling: str, text: str, label: str) -> float:
        """P(`label` | `text`) under one labelling."""
        probs = self._probabilities(labelling, text)
        return float(probs[self._labels[labelling].index(label)])


def _softmax(scores: np.ndarray) -> np.ndarray:
    # Margins of a one-vs-rest SVM sit roughly in [-1.5, 1.5]; the temperature spreads
    # them so that a clear winner gets a confidence near 0.9 and a tie near 0.5 each.
    shifted = np.exp(scores - scores.max())
    return np.asarray(shifted / shifted.sum(), dtype=float)
