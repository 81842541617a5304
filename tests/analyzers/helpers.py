"""Shared builders for the analyzer tests (module-level caches keep the suite fast)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from analyzers.pipeline import TextAnalyzer, build_text_analyzer
from analyzers.processing import default_processor
from analyzers.sentiment.lexicon import LexiconSentiment
from analyzers.sentiment.lexicon_es import load_lexicon
from analyzers.settings import DEFAULT_TOPICS, AnalyzerSettings
from analyzers.text import Doc, TextProcessor


@lru_cache(maxsize=1)
def processor() -> TextProcessor:
    return default_processor()


def doc(text: str) -> Doc:
    return processor().prepare(text)


@lru_cache(maxsize=1)
def lexicon_scorer() -> LexiconSentiment:
    return LexiconSentiment(load_lexicon())


def score(text: str) -> float:
    return lexicon_scorer().evidence(doc(text)).score


def label(text: str) -> str:
    return lexicon_scorer().predict_one(doc(text)).label


@lru_cache(maxsize=1)
def default_analyzer() -> TextAnalyzer:
    return build_text_analyzer(AnalyzerSettings(), DEFAULT_TOPICS, Path("/nonexistent/models"))
