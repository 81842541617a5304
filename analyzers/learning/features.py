"""Feature extraction for the learnt (scikit-learn) models: word and character n-grams plus the lexicon's
and the category rules' own judgements as dense features.

Inputs are `text.Doc` objects, so the pipeline's tokenisation, accent folding and hashtag splitting are
shared with the rule analyzers. Everything here is picklable (module-level functions, no lambdas) so a
trained model saved with joblib loads in another process.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import StackingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from analyzers.text import Doc


def doc_norm(doc: Doc) -> str:
    """The folded, normalised text of a doc, plus its emojis (they carry sentiment)."""
    emojis = " ".join(t.text for t in doc.tokens if t.kind in ("e", "m"))
    return f"{doc.norm} {emojis}" if emojis else doc.norm


def doc_marked(doc: Doc) -> str:
    """Words with negation scope and lexicon polarity made explicit, for the n-gram model.

    "no me gusta nada" -> "no NOT_me NOT_gusta NOT_POS1 NOT_nada": the classifier can then learn that a
    negated positive word is negative from a few examples instead of needing every phrase.
    """
    from analyzers.sentiment.lexicon_es import load_lexicon

    lexicon = load_lexicon()
    out: list[str] = []
    scope = 0
    for tok in doc.tokens:
        if tok.kind == "p":
            scope = 0
            out.append("PUNCT_" + ("Q" if tok.text == "?" else "X" if tok.text == "!" else "P"))
            continue
        prefix = "NOT_" if scope else ""
        if tok.kind in ("e", "m", "l"):
            value = lexicon.emoji.get(tok.text, 0.0) * 3 if tok.kind == "e" else 1.5 if tok.kind == "l" else 0.0
            out.append("LAUGH" if tok.kind == "l" else "EMO")
        else:
            word = tok.text
            if word in lexicon.negators:
                scope = 3
                out.append(word)
                continue
            out.append(prefix + word)
            value = lexicon.lookup(word) or 0.0
            scope = max(0, scope - 1)
        if value:
            out.append(f"{prefix}{'POS' if value > 0 else 'NEG'}{2 if abs(value) >= 2.5 else 1}")
    return " ".join(out)


class LexiconFeatures(BaseEstimator, TransformerMixin):
    """Dense features from the lexicon scorer: its score, positive and negative mass, negations, emoji."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, docs: Sequence[Doc], y: object = None) -> LexiconFeatures:
        return self

    def transform(self, docs: Sequence[Doc]) -> sparse.csr_matrix:
        from analyzers.sentiment.lexicon import LexiconSentiment
        from analyzers.sentiment.lexicon_es import load_lexicon

        scorer = LexiconSentiment(load_lexicon())
        rows = []
        for doc in docs:
            ev = scorer.evidence(doc)
            score = ev.score
            rows.append(
                [
                    score,
                    max(score, 0.0),
                    min(score, 0.0),
                    ev.positive / 4.0,
                    ev.negative / 4.0,
                    min(ev.hits, 5) / 5.0,
                    min(ev.negations, 3) / 3.0,
                    ev.emoji,
                    float(ev.exclamations > 0),
                    float(ev.questions > 0),
                    float(score > scorer.positive_threshold),
                    float(score < scorer.negative_threshold),
                    float(doc.n_urls > 0),
                    min(doc.n_mentions, 3) / 3.0,
                    min(len(doc.tokens), 40) / 40.0,
                    float(doc.all_caps),
                    float(any(t.kind == "l" for t in doc.tokens)),
                ]
            )
        return sparse.csr_matrix(np.asarray(rows, dtype=np.float64) * self.weight)


class RuleFeatures(BaseEstimator, TransformerMixin):
    """One-hot features of the category rules that fire on a doc (and the rules' own answer)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, docs: Sequence[Doc], y: object = None) -> RuleFeatures:
        from analyzers.categories import RuleCategorizer

        self.names_ = RuleCategorizer().feature_names()
        return self

    def transform(self, docs: Sequence[Doc]) -> sparse.csr_matrix:
        from analyzers.categories import RuleCategorizer

        categorizer = RuleCategorizer()
        index = {name: i for i, name in enumerate(self.names_)}
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for doc in docs:
            for name in categorizer.fired_features(doc):
                j = index.get(name)
                if j is not None:
                    indices.append(j)
                    data.append(self.weight)
            indptr.append(len(indices))
        return sparse.csr_matrix((data, indices, indptr), shape=(len(docs), len(self.names_)))


def _ngram_features(char_ngrams: tuple[int, int] = (2, 5)) -> FeatureUnion:
    word = TfidfVectorizer(
        preprocessor=doc_norm, analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b|[!?]",
    )
    char = TfidfVectorizer(
        preprocessor=doc_norm, analyzer="char_wb", ngram_range=char_ngrams, min_df=2, sublinear_tf=True,
        max_features=200_000,
    )
    marked = TfidfVectorizer(
        preprocessor=doc_marked, analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
        token_pattern=r"\S+", lowercase=False,
    )
    return FeatureUnion([("word", word), ("char", char), ("marked", marked)])


def build_model(task: str, *, c: float = 1.0, cv: int = 5) -> StackingClassifier:
    """Two linear models stacked: one on word+char n-grams, one on the task's own rule/lexicon features.

    Why stacking rather than one big feature matrix: with ~2,000 short posts the n-gram model alone is
    weak (macro-F1 ~0.55 cross-validated on the development split) and swamps the dozen lexicon features
    when they share one classifier; a second-level logistic regression over both models' out-of-fold
    probabilities learns how much to trust each (5-fold CV on train.tsv: 0.625 vs 0.60 for one matrix).
    """
    ngrams = Pipeline([
        ("features", _ngram_features()),
        ("clf", LogisticRegression(C=c, max_iter=3000, class_weight="balanced")),
    ])
    extra: TransformerMixin = LexiconFeatures() if task == "sentiment" else RuleFeatures()
    rules = Pipeline([
        ("features", extra),
        ("clf", LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced")),
    ])
    return StackingClassifier(
        estimators=[("ngrams", ngrams), ("rules", rules)],
        final_estimator=LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced"),
        cv=cv,
        stack_method="predict_proba",
    )
