"""The synthetic sample week: deterministic, complete, clearly fake, with a visible crisis."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.sample_replay import post_from_dict
from domain import CATEGORIES, CRISIS_FLAGS, SENTIMENTS, Platform, Post, PostKind
from scripts import generate_sample as gen

BOGOTA = ZoneInfo("America/Bogota")
REPO = Path(__file__).resolve().parents[2]
TOPICS = set(gen.TOPIC_TITLES)
URL = re.compile(r"\b(?:https?://|www\.)[^\s)]+", re.IGNORECASE)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
SAMPLE_FILES = ("week.jsonl", "authors.jsonl", "accounts.jsonl", "README.md")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    gen.write_sample(out)
    return out


@pytest.fixture(scope="module")
def posts(written) -> list[Post]:
    return [post_from_dict(json.loads(line)) for line in (written / "week.jsonl").open(encoding="utf-8")]


@pytest.fixture(scope="module")
def citizens(posts) -> list[Post]:
    return [p for p in posts if not p.is_own]


def local(p: Post) -> datetime:
    return p.created_at.astimezone(BOGOTA)


# --- determinism and the committed copy ------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path, written):
    again = tmp_path / "again"
    gen.main(["--out", str(again)])
    for name in SAMPLE_FILES:
        assert (again / name).read_bytes() == (written / name).read_bytes()
    other = tmp_path / "other"
    gen.write_sample(other, seed=7)
    assert (other / "week.jsonl").read_bytes() != (written / "week.jsonl").read_bytes()


def test_committed_sample_is_the_generators_default_output(written):
    """data/sample/ must be regenerated whenever the generator changes."""
    for name in SAMPLE_FILES:
        committed = REPO / "data" / "sample" / name
        assert committed.read_bytes() == (written / name).read_bytes(), f"re-run scripts/generate_sample.py ({name})"


def test_size_stays_reasonable(written, posts):
    assert 3000 <= len(posts) <= 8000
    assert (written / "week.jsonl").stat().st_size < 5_000_000


# --- shape of every record -------------------------------------------------------------------------


def test_every_line_is_a_valid_post_sorted_within_the_week(written, posts):
    lines = (written / "week.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(posts)
    assert all('"created_at":"' in line and '+00:00"' in line for line in lines)  # ISO with offset, UTC
    times = [p.created_at for p in posts]
    assert times == sorted(times)
    for platform in Platform:  # ids grow with time, like real platform ids
        ids = [p.external_id for p in posts if p.platform is platform]
        assert ids == sorted(ids)
    start = datetime(2026, 11, 16, tzinfo=BOGOTA)
    assert all(start <= p.created_at < start + timedelta(days=7) for p in posts)
    assert len({p.key for p in posts}) == len(posts)


def test_everything_is_clearly_synthetic(posts):
    for p in posts:
        assert p.external_id.startswith(("syn-x-", "syn-fb-", "syn-ig-"))
        assert p.author_id.startswith("synthetic-")
        assert p.raw["synthetic"] is True and p.raw["generator"] == "scripts/generate_sample.py"
        assert p.raw["seed"] == gen.DEFAULT_SEED
        if not p.is_own:
            assert "_syn" in p.author_handle


def test_no_real_looking_urls(posts):
    urls = [u for p in posts for u in [p.url or "", *URL.findall(p.text)]]
    assert len(urls) > len(posts)  # the text links were found too
    bad = [u for u in urls if not u.startswith("https://example.invalid/")]
    assert bad == []


def test_accounts_kinds_and_threads_are_consistent(posts):
    by_key = {p.key: p for p in posts}
    assert {p.account for p in posts} == set(gen.ACCOUNTS.values())
    assert Counter((p.platform, p.kind) for p in posts).keys() >= {
        (Platform.X, PostKind.MENTION), (Platform.X, PostKind.SEARCH_HIT), (Platform.X, PostKind.REPLY),
        (Platform.X, PostKind.OWN_POST), (Platform.FACEBOOK, PostKind.COMMENT), (Platform.FACEBOOK, PostKind.REPLY),
        (Platform.INSTAGRAM, PostKind.COMMENT), (Platform.INSTAGRAM, PostKind.OWN_POST),
    }  # fmt: skip
    for p in posts:
        assert p.account == gen.ACCOUNTS[p.platform]
        if p.kind is PostKind.MENTION:
            assert f"@{p.account}" in p.text and p.in_reply_to_id is None
        if p.kind is PostKind.SEARCH_HIT:
            assert "@" + p.account not in p.text and re.search("mintic|ministerio", p.text, re.I)
        if p.kind is PostKind.OWN_POST:
            assert p.is_own and p.author_handle == p.account and p.conversation_id == p.external_id
        if p.in_reply_to_id is not None:
            parent = by_key[(p.platform.value, p.in_reply_to_id)]
            assert parent.created_at <= p.created_at
            assert p.conversation_id == (parent.conversation_id or parent.external_id)
        if p.kind is PostKind.COMMENT:
            assert by_key[(p.platform.value, p.in_reply_to_id)].kind is PostKind.OWN_POST
        if p.platform is Platform.X:
            assert len(p.text) <= 280


# --- content ---------------------------------------------------------------------------------------


def test_every_category_topic_sentiment_and_flag_is_present(citizens):
    labels = [p.raw["label"] for p in citizens]
    assert {lb["category"] for lb in labels} == set(CATEGORIES)
    assert {lb["topic"] for lb in labels} - {None} == TOPICS
    assert {lb["sentiment"] for lb in labels} == set(SENTIMENTS)
    assert {f for lb in labels for f in lb["flags"]} == set(CRISIS_FLAGS)
    per_pair = Counter((lb["category"], lb["topic"]) for lb in labels if lb["topic"])
    assert all(per_pair[(c, t)] >= 3 for c in CATEGORIES for t in TOPICS)  # every combination, several times
    assert {lb["lang"] for lb in labels} == {"es", "en"}


def test_topic_labels_use_the_analyzers_default_topic_names():
    """Otherwise the labels cannot score the topic analyzer."""
    from analyzers.settings import DEFAULT_TOPICS

    assert {t.name for t in DEFAULT_TOPICS} == TOPICS


def test_texts_read_like_colombian_social_media(citizens):
    texts = [p.text for p in citizens]
    assert len(set(texts)) == len(texts)  # no identical duplicates
    lowered = " ".join(texts).lower()
    expressions = ["chévere", "bacano", "berraco", "qué pena", "parce", "uy no", "qué chimba", "un asco",
                   "qué vergüenza", "llevo", "sin señal", "juepucha", "sumercé"]  # fmt: skip
    assert all(e in lowered for e in expressions)
    share = lambda pred: sum(1 for t in texts if pred(t)) / len(texts)  # noqa: E731
    assert share(EMOJI.search) > 0.3
    assert share(lambda t: re.search(r"#\w", t)) > 0.1
    assert share(lambda t: re.search(r"\b(q|xq|pq|porfa|pa|tmb|dias|informacion)\b", t)) > 0.05  # typing habits
    assert share(lambda t: re.search(r"([aeiou])\1\1", t)) > 0.03  # "pésimooo"
    towns = {muni for muni, _ in gen.PLACES if muni.lower() in lowered}
    assert len(towns) > 0.8 * len(gen.PLACES)  # places all over Colombia


def test_ministry_posts_carry_platform_metrics_covering_the_comments_in_the_file(posts):
    wanted = {
        Platform.X: ("likes", "reposts", "replies", "quotes", "bookmarks", "impressions"),
        Platform.FACEBOOK: ("reactions", "comments", "shares", "views", "reach"),
        Platform.INSTAGRAM: ("likes", "comments", "saves", "views", "reach"),
    }
    direct = Counter((p.platform, p.in_reply_to_id) for p in posts if p.in_reply_to_id)
    own = [p for p in posts if p.kind is PostKind.OWN_POST]
    for platform in Platform:
        days = {local(p).date() for p in own if p.platform is platform}
        assert len(days) == 7  # every day, a few per platform
    for p in own:
        metrics = p.metrics.as_dict()
        assert all(metrics[m] is not None for m in wanted[p.platform])
        if p.platform is Platform.X:  # X says impressions; Meta says views and reach (docs/meta-graph-api.md)
            assert metrics["impressions"] > 0 and metrics["views"] is None and metrics["reach"] is None
        else:
            assert metrics["impressions"] is None
            assert 0 < metrics["reach"] < metrics["views"]  # unique accounts, fewer than displays
        counted = metrics["replies"] if p.platform is Platform.X else metrics["comments"]
        assert counted >= direct[(p.platform, p.external_id)]


def test_ministry_answers_some_citizens_later_mostly_in_office_hours(posts, citizens):
    by_key = {p.key: p for p in posts}
    replies = [p for p in posts if p.is_own and p.kind is PostKind.REPLY]
    answered = {(p.platform.value, p.in_reply_to_id) for p in replies}
    assert 0.1 < len(answered) / len(citizens) < 0.5
    delays = []
    for r in replies:
        question = by_key[(r.platform.value, r.in_reply_to_id)]
        assert not question.is_own
        delays.append((r.created_at - question.created_at).total_seconds() / 60)
    assert min(delays) >= 1 and max(delays) > 24 * 60  # minutes to days
    office = sum(1 for r in replies if local(r).weekday() < 5 and 7 <= local(r).hour < 18)
    assert office / len(replies) > 0.75


# --- rhythm and crisis -----------------------------------------------------------------------------


def test_daily_and_weekly_rhythm(citizens):
    normal = [p for p in citizens if p.raw["label"]["episode"] is None]
    per_day = Counter(local(p).weekday() for p in normal)
    assert all(250 <= per_day[d] <= 650 for d in range(7)), per_day
    assert max(per_day[5], per_day[6]) < min(per_day[d] for d in range(5))  # quieter weekend
    per_hour = Counter(local(p).hour for p in normal)
    night = sum(per_hour[h] for h in range(1, 5)) / 4
    morning = sum(per_hour[h] for h in range(9, 12)) / 3
    evening = sum(per_hour[h] for h in range(19, 22)) / 3
    lunch = per_hour[13]
    assert night * 10 < morning and night * 10 < evening
    assert lunch < morning and lunch < evening


def test_outage_episode_spikes_several_times_the_same_hour_on_other_weekdays(citizens):
    outage = next(e for e in gen.episodes_for(datetime(2026, 11, 16, tzinfo=BOGOTA)) if "plataforma" in e.name)
    assert outage.start.astimezone(BOGOTA) == datetime(2026, 11, 18, 10, tzinfo=BOGOTA)
    hourly = Counter((local(p).date(), local(p).hour) for p in citizens)
    day = outage.start.astimezone(BOGOTA).date()
    ratios = {}
    for hour in range(10, 15):
        others = [hourly[(day + timedelta(days=d), hour)] for d in (-2, -1, 1, 2)]  # Mon, Tue, Thu, Fri
        ratios[hour] = hourly[(day, hour)] / statistics.median(others)
    assert max(ratios.values()) >= 4, ratios
    peak = max(ratios, key=ratios.get)
    assert 10 < peak < 14 and ratios[10] < ratios[peak] and ratios[14] < ratios[peak]  # grows, then decays
    during = [p for p in citizens if outage.start <= p.created_at < outage.end]
    labelled = [p for p in during if p.raw["label"]["episode"] == outage.name]
    assert sum("outage" in p.raw["label"]["flags"] for p in labelled) > 0.6 * len(labelled)
    assert sum(p.raw["label"]["sentiment"] == "negative" for p in labelled) > 0.7 * len(labelled)
    assert any("fraud" in p.raw["label"]["flags"] for p in labelled)
    # Every stream of the replay sees it, not just X.
    for platform in Platform:
        assert sum(1 for p in labelled if p.platform is platform) > 20


def test_scam_episode_is_a_smaller_fraud_spike(citizens):
    scam = next(e for e in gen.episodes_for(datetime(2026, 11, 16, tzinfo=BOGOTA)) if "suplantacion" in e.name)
    labelled = [p for p in citizens if p.raw["label"]["episode"] == scam.name]
    assert 50 < len(labelled) < 300
    assert all(scam.start <= p.created_at < scam.end for p in labelled)
    assert sum("fraud" in p.raw["label"]["flags"] for p in labelled) > 0.8 * len(labelled)


def test_readme_states_synthetic_seed_command_and_episode_windows(written, citizens):
    text = (written / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "invented" in text
    assert f"python scripts/generate_sample.py --seed {gen.DEFAULT_SEED} --week 2026-W47" in text
    assert "Wed 2026-11-18 10:00 Bogotá (2026-11-18 15:00 UTC)" in text
    assert "caida_plataforma_talento_ti" in text and "suplantacion_portatiles_gratis" in text
    assert f"{len(citizens)} citizen posts" in text


# --- command line ----------------------------------------------------------------------------------


def test_week_option_moves_the_sample(tmp_path):
    sample = gen.generate(seed=3, week="2027-W02")
    first = sample.posts[0].created_at.astimezone(BOGOTA)
    assert first.date() >= datetime(2027, 1, 11).date()
    assert sample.episodes[0].start.astimezone(BOGOTA) == datetime(2027, 1, 13, 10, tzinfo=BOGOTA)


@pytest.mark.parametrize("week", ["2026-47", "2026-W54", "next week"])
def test_bad_week_is_refused_with_a_usage_error(tmp_path, week, capsys):
    with pytest.raises(SystemExit) as exit_info:
        gen.main(["--week", week, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "week" in capsys.readouterr().err
    assert not (tmp_path / "week.jsonl").exists()


# --- authors and the accounts' followers -----------------------------------------------------------


@pytest.fixture(scope="module")
def profiles(written) -> list[dict]:
    return [json.loads(line) for line in (written / "authors.jsonl").open(encoding="utf-8")]


def _author(line: dict):
    from connectors.sample_replay import author_from_dict

    fields = {k: v for k, v in line.items() if k not in ("synthetic", "label")}
    return author_from_dict(fields, datetime(2026, 11, 16, tzinfo=BOGOTA))


def test_every_author_has_one_synthetic_profile_with_what_its_platform_tells(posts, profiles):
    keys = [(p["platform"], p["author_id"]) for p in profiles]
    assert len(keys) == len(set(keys)) and set(keys) == {(p.platform.value, p.author_id) for p in posts}
    for line in profiles:
        author = _author(line)
        assert line["synthetic"] is True and ("_syn" in author.handle or author.handle in gen.ACCOUNTS.values())
        if author.platform is Platform.X:
            assert author.display_name and author.followers is not None and author.verified_type is not None
            assert author.profile_url == f"https://example.invalid/x/{author.handle}"
        else:  # Facebook gives a commenter's name, Instagram a username: nothing more
            assert author.followers is None and author.description is None and author.website is None
            assert (author.display_name is not None) == (author.platform is Platform.FACEBOOK)
        for url in (author.website, author.profile_url):
            assert url is None or url.startswith("https://example.invalid/") or re.fullmatch(
                r"https://www\.[a-z-]+-syn\.(gov|edu)\.co(/[a-z/-]*)?", url), url
    x = [line for line in profiles if line["platform"] == "x" and line["author_id"].startswith("synthetic-x-0")]
    share = lambda key: sum(1 for line in x if line[key]) / len(x)  # noqa: E731
    assert 0.3 < share("description") < 0.8 and 0.3 < share("location") < 0.8 and share("website") < 0.15


def test_every_audience_segment_is_in_the_sample_where_the_default_rules_place_it(profiles):
    from bot.config import segmenter

    rules = segmenter(None)
    placed = Counter()
    for line in profiles:
        placement = rules.place(_author(line))
        assert placement.segment == line["label"]["segment"], (line["handle"], placement)
        placed[placement.segment] += 1
    wanted = {"medios_periodistas", "gobierno_y_politica", "entidades_gubernamentales", "operadores_y_empresas_tic",
              "sector_tic", "academia", "influenciadores", "ciudadania"}
    assert wanted <= set(placed) and all(placed[s] >= 2 for s in wanted), placed
    assert placed["ciudadania"] > 0.8 * len(profiles)  # most authors are ordinary citizens
    official = {line["website"] for line in profiles if (line.get("website") or "").endswith(".gov.co")}
    assert len(official) >= 3


def test_public_voices_write_in_their_own_voice_and_during_the_crises_only_after_the_spikes_open(posts):
    by_handle = {v.handle: v for v in gen.ROSTER}
    voiced = [p for p in posts if p.author_handle in by_handle]
    assert {p.author_handle for p in voiced} == set(by_handle)
    assert all(p.platform is Platform.X and p.kind in (PostKind.MENTION, PostKind.SEARCH_HIT) for p in voiced)
    episodes = {e.name: e for e in gen.episodes_for(datetime(2026, 11, 16, tzinfo=BOGOTA))}
    for p in voiced:
        name = p.raw["label"]["episode"]
        if name is None:  # an hour away from either crisis
            assert all(abs((p.created_at - e.start).total_seconds()) > 3600 and
                       not e.start <= p.created_at < e.end + timedelta(hours=1) for e in episodes.values())
        else:
            assert episodes[name].start + timedelta(hours=1) <= p.created_at < episodes[name].end
    assert sum(p.raw["label"]["episode"] is not None for p in voiced) == len(gen.CRISIS_VOICES)
    answered = {p.in_reply_to_id for p in posts if p.is_own and p.kind is PostKind.REPLY}
    assert any(p.external_id in answered for p in voiced)


def test_the_ministry_accounts_have_one_follower_count_a_day_growing_most_after_the_crises(written):
    lines = [json.loads(line) for line in (written / "accounts.jsonl").open(encoding="utf-8")]
    assert {(a["platform"], a["account"]) for a in lines} == {(p.value, h) for p, h in gen.ACCOUNTS.items()}
    for platform in Platform:
        mine = [a for a in lines if a["platform"] == platform.value]
        days = [datetime.fromisoformat(a["taken_at"]).astimezone(BOGOTA) for a in mine]
        assert [d.weekday() for d in days] == list(range(7)) and all(d.hour == 6 for d in days)
        followers = [a["followers"] for a in mine]
        growth = [b - a for a, b in pairwise(followers)]
        assert all(g > 0 for g in growth)
        assert growth[2] == max(growth) and growth[4] > statistics.median(growth)  # Thu: the outage; Sat: the scam
        assert all(a["synthetic"] is True for a in mine)
