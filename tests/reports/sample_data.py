"""Loads the bundled synthetic sample week into a database, with its hidden labels as the analyses.

The report tests check indicators and report content, not the analyzers, so the ground-truth labels stand
in for the analyzers' output: fast, and the expected figures follow from the sample's README tables.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from connectors.sample_replay import post_from_dict
from domain import Post, TextAnalysis
from storage.models import PostRow
from storage.unit_of_work import UnitOfWork

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "week.jsonl"
SAMPLE_WEEK = "2026-W47"


def sample_posts(path: Path = SAMPLE) -> list[Post]:
    with path.open(encoding="utf-8") as fh:
        return [post_from_dict(json.loads(line)) for line in fh if line.strip()]


def label_analysis(post: Post) -> TextAnalysis:
    label = post.raw["label"]
    return TextAnalysis(lang=label.get("lang") or "es", sentiment=label["sentiment"],
                        sentiment_score={"negative": -0.6, "neutral": 0.0, "positive": 0.6}[label["sentiment"]],
                        category=label.get("category") or "otro",
                        topics=(label["topic"],) if label.get("topic") else (),
                        flags=tuple(label.get("flags") or ()), rules=("sample-label",), version="sample-labels")


def store(engine: Engine, posts: list[Post], analyses: dict[tuple[str, str], TextAnalysis] | None = None) -> None:
    """Store posts and their analyses (labels from `raw` unless given)."""
    with UnitOfWork(engine) as uow:
        uow.posts.upsert(posts)
        assert uow.session is not None
        ids = {(p, e): i for i, p, e in uow.session.execute(select(PostRow.id, PostRow.platform, PostRow.external_id))}
        pairs = []
        for post in posts:
            analysis = (analyses or {}).get(post.key) if analyses is not None else label_analysis(post)
            if analysis is not None:
                pairs.append((ids[post.key], analysis))
        uow.analyses.insert_new(pairs, datetime.now(UTC))
        uow.commit()


def load_sample_week(engine: Engine) -> list[Post]:
    posts = sample_posts()
    store(engine, posts)
    load_sample_profiles(engine)
    return posts


def load_sample_profiles(engine: Engine) -> None:
    """The sample's public profiles, placed by the default segment rules, and the accounts' daily followers."""
    from analyzers.segments import Segmenter
    from bot.config import segmenter
    from connectors.sample_replay import author_from_dict, snapshot_from_dict

    seen = datetime(2026, 11, 16, 5, tzinfo=UTC)
    with (SAMPLE.with_name("authors.jsonl")).open(encoding="utf-8") as fh:
        authors = [author_from_dict(json.loads(line), seen) for line in fh if line.strip()]
    with (SAMPLE.with_name("accounts.jsonl")).open(encoding="utf-8") as fh:
        snapshots = [snapshot_from_dict(json.loads(line)) for line in fh if line.strip()]
    rules: Segmenter = segmenter(None)

    def place(author: Any) -> tuple[str, str]:
        placed = rules.place(author)
        return placed.segment, placed.rule

    with UnitOfWork(engine) as uow:
        uow.authors.upsert(authors, place, rules.version, seen)
        uow.authors.save_snapshots(snapshots)
        uow.commit()


def services(engine: Engine, out_dir: Path, clock: Any, *, sinks: dict[str, Any] | None = None,
             pdf: bool = False, **report: Any) -> Any:
    """A real `Services` for report tests: no connectors, no analyzer (the report needs neither)."""
    from bot.config import Secrets, parse_config
    from bot.services import Services

    config = parse_config({
        "connectors": {"sample": {"enabled": False}},
        "alerts": {"outbox_file": str(out_dir / "outbox.jsonl"), "console": False},
        "report": {"out_dir": str(out_dir / "reports"), "pdf": pdf, **report},
    })
    return Services(config=config, secrets=Secrets(), engine=engine, connectors={}, analyzer=None,  # type: ignore[arg-type]
                    clock=clock, sinks=sinks or {}, spike_keys=[])


def add_sample_incidents(engine: Engine) -> None:
    """The two crisis episodes of the sample week, as the live detector records them."""
    from storage.models import IncidentRow

    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        uow.session.add_all([
            IncidentRow(opened_at=datetime(2026, 11, 18, 15, 15, tzinfo=UTC),
                        closed_at=datetime(2026, 11, 18, 19, 45, tzinfo=UTC), level="critico",
                        keys=["all", "flag:outage", "topic:formacion_tic"], active_keys=[], peak_value=61,
                        peak_expected=8.5),
            IncidentRow(opened_at=datetime(2026, 11, 20, 21, 30, tzinfo=UTC),
                        closed_at=datetime(2026, 11, 20, 23, 45, tzinfo=UTC), level="aviso",
                        keys=["flag:fraud"], active_keys=[], peak_value=14, peak_expected=1.2),
        ])
        uow.commit()
