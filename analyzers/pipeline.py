"""The analyzer pipeline the bot uses: language, sentiment, PQRSD category, topics and crisis flags.

Pure: text in, `domain.TextAnalysis` out, no database and no network. Each post is normalised once
(`text.Doc`) and every analyzer reads that. `version` names every component's version so stored analyses
can be found and recomputed after a model or rule change (`python main.py analyze --since DATE`).

Never raises on input: empty text, only emojis, only a URL, very long text (truncated for analysis; the
caller keeps the original), broken Unicode and other languages all get a sensible answer. A backend that
cannot load (missing or corrupt model file, transformers not installed) is replaced by the lexicon with a
warning that names the file and how to retrain.

Languages: TextBlob scores English posts (it is English-only). Every other language, Portuguese included,
goes to the configured Spanish backend: emojis, emoticons and the many Spanish-Portuguese cognates
("excelente", "horrible", "problema") carry over, and a post with nothing recognised
is neutral, which is the honest answer for a language the lexicon does not cover.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

import domain
from analyzers.campaigns import CampaignMatcher
from analyzers.categories import CategoryResult, RuleCategorizer
from analyzers.flags import FlagDetector
from analyzers.language import UNDETERMINED, LanguageDetector
from analyzers.processing import make_processor
from analyzers.sentiment.lexicon import LexiconSentiment, SentimentBackend, SentimentResult, TextBlobSentiment
from analyzers.sentiment.lexicon_es import load_lexicon
from analyzers.settings import AnalyzerSettings, TopicSpec
from analyzers.text import Doc, TextProcessor
from analyzers.topics import TopicMatcher

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PostContext:
    """What the analyzers may know of a post besides its text: when it was published (a campaign's dates apply
    only then), the links it carries in full (X shortens those in the text to t.co), the platform's geo tag and
    the author's profile location (the placer's other evidence). `classify` of plain text has none of them."""

    created_at: datetime | None = None
    urls: tuple[str, ...] = ()
    geo: domain.GeoTag | None = None
    profile_location: str | None = None


NO_CONTEXT = PostContext()


class PlacerLike(Protocol):
    """analyzers.places.Placer as the pipeline uses it."""

    version: str

    def place(self, text: str, *, geo: domain.GeoTag | None = None,
              profile_location: str | None = None) -> domain.Place | None: ...


class TextAnalyzer:
    """Runs every analyzer on a post; `analyze_many` batches the learnt backends."""

    def __init__(
        self,
        *,
        processor: TextProcessor,
        language: LanguageDetector,
        sentiment: SentimentBackend,
        lexicon_sentiment: LexiconSentiment,
        categorizer: RuleCategorizer,
        topics: TopicMatcher,
        flags: FlagDetector,
        category_model: object | None = None,
        english_textblob: bool = True,
        batch_size: int = 256,
        campaigns: Sequence[domain.Campaign] = (),
        placer: PlacerLike | None = None,
    ) -> None:
        self.processor = processor
        self.language = language
        self.sentiment = sentiment
        self.lexicon_sentiment = lexicon_sentiment
        self.categorizer = categorizer
        self.category_model = category_model
        self.topics = topics
        self.flags = flags
        self.english_textblob = english_textblob
        self.batch_size = batch_size
        self._textblob: TextBlobSentiment | None = None
        self.placer = placer
        self.campaigns = CampaignMatcher(campaigns, processor)
        category_version = getattr(category_model, "version", None) or categorizer.version
        self._base_version = (
            f"lang={language.version};sentiment={sentiment.version};category={category_version};"
            f"topics={topics.version};flags={flags.version}"
        )
        self.version = self._versioned()

    def _versioned(self) -> str:
        places = self.placer.version if self.placer is not None else "off"
        return f"{self._base_version};campaigns={self.campaigns.version};places={places}"

    def set_campaigns(self, campaigns: Sequence[domain.Campaign]) -> None:
        """Match against new campaign definitions from now on (an admin edited them); the version follows, so
        analyses stored with the old definitions are stale for `analyze --since`."""
        self.campaigns = CampaignMatcher(campaigns, self.processor)
        self.version = self._versioned()

    # -- public interface -------------------------------------------------------------------------
    def analyze(self, text: str, lang_hint: str | None = None,
                context: PostContext | None = None) -> domain.TextAnalysis:
        return self.analyze_many([text], [lang_hint], [context or NO_CONTEXT])[0]

    def analyze_many(
        self, texts: Sequence[str], lang_hints: Sequence[str | None] | None = None,
        contexts: Sequence[PostContext | None] | None = None,
    ) -> list[domain.TextAnalysis]:
        if lang_hints is None:
            lang_hints = [None] * len(texts)
        elif len(lang_hints) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(lang_hints)} language hints")
        if contexts is None:
            contexts = [NO_CONTEXT] * len(texts)
        elif len(contexts) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(contexts)} contexts")
        out: list[domain.TextAnalysis] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            hints = lang_hints[start : start + self.batch_size]
            ctxs = [c or NO_CONTEXT for c in contexts[start : start + self.batch_size]]
            try:
                out.extend(self._analyze_batch(chunk, hints, ctxs))
            except Exception:
                logger.exception("batch analysis failed; analysing its %d posts one by one", len(chunk))
                out.extend(self._analyze_one_safely(text, hint, ctx)
                           for text, hint, ctx in zip(chunk, hints, ctxs, strict=True))
        return out

    def match_campaigns(self, text: str, context: PostContext | None = None) -> tuple[str, ...]:
        """Campaign ids of one post alone (re-matching after a campaign edit needs nothing else)."""
        ctx = context or NO_CONTEXT
        return self.campaigns.match(text, created_at=ctx.created_at, urls=ctx.urls)

    def place(self, text: str, context: PostContext | None = None) -> domain.Place | None:
        """Where a post comes from, or None (no placer configured, or no evidence)."""
        if self.placer is None:
            return None
        ctx = context or NO_CONTEXT
        return self.placer.place(text, geo=ctx.geo, profile_location=ctx.profile_location)

    # -- internals --------------------------------------------------------------------------------
    def _analyze_one_safely(self, text: str, hint: str | None, context: PostContext) -> domain.TextAnalysis:
        try:
            return self._analyze_batch([text], [hint], [context])[0]
        except Exception as exc:
            logger.exception("analysis failed for one post; recording a neutral result")
            result = domain.TextAnalysis(
                lang=UNDETERMINED, sentiment="neutral", sentiment_score=0.0, category="otro",
                rules=(f"error:{type(exc).__name__}",), version=self.version,
            )
            try:  # campaigns and place do not depend on the analyzer that failed
                return replace(result, campaigns=self.match_campaigns(text, context), place=self.place(text, context))
            except Exception:
                logger.exception("campaign matching or placement failed for one post")
                return result

    def _analyze_batch(self, texts: Sequence[str], hints: Sequence[str | None],
                       contexts: Sequence[PostContext]) -> list[domain.TextAnalysis]:
        docs = [self.processor.prepare(text) for text in texts]
        langs = [self.language.detect(doc, hint) for doc, hint in zip(docs, hints, strict=True)]
        sentiments = self._sentiments(docs, [lang for lang, _ in langs])
        categories = self._categories(docs, [s.label for s in sentiments])
        results = []
        matcher, placer = self.campaigns, self.placer
        for text, ctx, doc, (lang, lang_rule), sentiment, category in zip(texts, contexts, docs, langs, sentiments,
                                                                          categories, strict=True):
            topics, topic_rules = self.topics.match(doc)
            flags, flag_rules = self.flags.detect(doc)
            rules = [lang_rule, sentiment.rule, *category.rules, *topic_rules, *flag_rules]
            if doc.truncated:
                rules.append("text:truncated")
            results.append(
                domain.TextAnalysis(
                    lang=lang,
                    sentiment=sentiment.label,
                    sentiment_score=float(max(-1.0, min(1.0, sentiment.score))),
                    category=category.category,
                    topics=topics,
                    flags=flags,
                    rules=tuple(rules),
                    version=self.version,
                    campaigns=matcher.match_doc(doc, created_at=ctx.created_at, urls=ctx.urls) if matcher else (),
                    place=(placer.place(text, geo=ctx.geo, profile_location=ctx.profile_location)
                           if placer is not None else None),
                )
            )
        return results

    def _sentiments(self, docs: Sequence[Doc], langs: Sequence[str]) -> list[SentimentResult]:
        results: list[SentimentResult | None] = [None] * len(docs)
        main: list[int] = []
        for i, (doc, lang) in enumerate(zip(docs, langs, strict=True)):
            if lang == "en" and self.english_textblob:
                results[i] = self._english().predict_text(doc.text)
            elif lang == UNDETERMINED or doc.is_empty or self.sentiment is self.lexicon_sentiment:
                results[i] = self.lexicon_sentiment.predict_one(doc)
            else:
                main.append(i)
        if main:
            batch = [docs[i] for i in main]
            try:
                predicted = self.sentiment.predict(batch)
            except Exception:
                logger.exception("sentiment backend %s failed; using the lexicon for %d posts",
                                 self.sentiment.version, len(batch))
                predicted = self.lexicon_sentiment.predict(batch)
            for i, result in zip(main, predicted, strict=True):
                results[i] = result
        return [r if r is not None else SentimentResult("neutral", 0.0, "sentiment:none") for r in results]

    def _categories(self, docs: Sequence[Doc], sentiments: Sequence[str]) -> list[CategoryResult]:
        model = self.category_model
        if model is not None:
            try:
                return list(model.classify_many(docs, sentiments))  # type: ignore[attr-defined]
            except Exception:
                logger.exception("category model failed; using the rules for %d posts", len(docs))
        return [self.categorizer.classify(doc, s) for doc, s in zip(docs, sentiments, strict=True)]

    def _english(self) -> TextBlobSentiment:
        if self._textblob is None:
            self._textblob = TextBlobSentiment()
        return self._textblob


def _sentiment_backend(settings: AnalyzerSettings, lexicon_backend: LexiconSentiment,
                       models_dir: Path) -> SentimentBackend:
    choice = settings.sentiment_backend
    if choice == "model":
        from analyzers.learning.trained import ModelSentiment
        from analyzers.learning.training import ModelUnavailable

        try:
            return ModelSentiment.from_models_dir(models_dir)
        except ModelUnavailable as exc:
            logger.warning("sentiment backend 'model' unavailable: %s. Falling back to the lexicon.", exc)
            return lexicon_backend
    if choice == "transformers":
        from analyzers.sentiment.transformer import TransformersSentiment, TransformersUnavailable

        cfg = settings.transformers
        if cfg.model_dir is None:
            logger.warning("sentiment backend 'transformers' needs analyzers.transformers.model_dir; "
                           "falling back to the lexicon")
            return lexicon_backend
        backend = TransformersSentiment(cfg.model_dir, cfg.label_map, cfg.batch_size, cfg.max_length)
        try:
            backend.check()
        except TransformersUnavailable as exc:
            logger.warning("sentiment backend 'transformers' unavailable: %s. Falling back to the lexicon.", exc)
            return lexicon_backend
        return backend
    return lexicon_backend


def _category_model(settings: AnalyzerSettings, models_dir: Path) -> object | None:
    if settings.category_backend != "model":
        return None
    from analyzers.learning.trained import CategoryModel
    from analyzers.learning.training import ModelUnavailable

    try:
        return CategoryModel.from_models_dir(models_dir)
    except ModelUnavailable as exc:
        logger.warning("category backend 'model' unavailable: %s. Falling back to the rules.", exc)
        return None


def default_placer() -> PlacerLike:
    """The region placer over the bundled DIVIPOLA gazetteer (analyzers.places)."""
    from analyzers.places import Placer  # its gazetteer is read on first use only

    return Placer.load()


def build_text_analyzer(settings: AnalyzerSettings, topics: Sequence[TopicSpec], models_dir: Path,
                        campaigns: Sequence[domain.Campaign] = (), *, places: bool = True) -> TextAnalyzer:
    """The one place analyzers are assembled from configuration. `campaigns` are the definitions to match at
    first (a running bot swaps in the database's set, `TextAnalyzer.set_campaigns`); `places` turns the region
    placer on."""
    lexicon = load_lexicon()
    processor = make_processor(lexicon, topics, settings.max_text_chars)
    lexicon_backend = LexiconSentiment(lexicon)
    return TextAnalyzer(
        processor=processor,
        language=LanguageDetector(settings.languages, settings.language_min_confidence),
        sentiment=_sentiment_backend(settings, lexicon_backend, Path(models_dir)),
        lexicon_sentiment=lexicon_backend,
        categorizer=RuleCategorizer(),
        topics=TopicMatcher(topics, processor),
        flags=FlagDetector(),
        category_model=_category_model(settings, Path(models_dir)),
        english_textblob=settings.english_textblob,
        batch_size=settings.batch_size,
        campaigns=campaigns,
        placer=default_placer() if places else None,
    )
