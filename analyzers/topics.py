"""Topics of a post from the configured list (`topics:` in config.yaml, `settings.DEFAULT_TOPICS`).

A topic matches when one of its keywords appears as whole words (accent- and case-insensitive; a
trailing `*` matches any ending: "conect*") or one of its hashtags is used. Keywords go through the same
normalisation as the post ("Wi-Fi" and "wi fi" are the same, so are "4-72" and "4 72", "Señal" and
"senal"), so they match what the citizen wrote however it was spelt. The version string carries a hash of
the topic list, so analyses made with another list can be found and recomputed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzers.settings import TopicSpec
from analyzers.text import Doc, TextProcessor, compile_rule, fold

TOPICS_VERSION = "topics-1"


@dataclass(frozen=True)
class _CompiledTopic:
    name: str
    pattern: re.Pattern[str] | None
    hashtags: frozenset[str]


class TopicMatcher:
    def __init__(self, topics: Sequence[TopicSpec], processor: TextProcessor) -> None:
        compiled = []
        for topic in topics:
            alternatives = []
            for keyword in topic.keywords:
                prefix = keyword.strip().endswith("*")
                norm = processor.prepare(keyword.strip().rstrip("*")).norm
                if not norm:
                    continue
                body = r"\s+".join(re.escape(part) for part in norm.split())
                alternatives.append(body + (r"\w*" if prefix else ""))
            alternatives.sort(key=len, reverse=True)
            pattern = compile_rule(r"\b(?:" + "|".join(alternatives) + r")(?!\w)") if alternatives else None
            compiled.append(_CompiledTopic(topic.name, pattern, frozenset(fold(h) for h in topic.hashtags)))
        self._topics = tuple(compiled)
        spec = "|".join(f"{t.name}:{','.join(t.keywords)}:{','.join(t.hashtags)}" for t in topics)
        self.version = f"{TOPICS_VERSION}-{hashlib.sha256(spec.encode()).hexdigest()[:8]}"

    def match(self, doc: Doc) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return (topic names, rules) e.g. (("conectividad",), ("topic:conectividad:zona wifi",))."""
        names: list[str] = []
        rules: list[str] = []
        tags = set(doc.hashtags)
        for topic in self._topics:
            hit = None
            if topic.pattern is not None:
                m = topic.pattern.search(doc.norm)
                if m:
                    hit = m.group().strip()
            if hit is None and tags & topic.hashtags:
                hit = "#" + sorted(tags & topic.hashtags)[0]
            if hit is not None:
                names.append(topic.name)
                rules.append(f"topic:{topic.name}:{hit}")
        return tuple(names), tuple(rules)
