"""Authors and the watched account's follower counts from X, through the real tweepy client against the fake X
API: they come in the same answers as the posts (no extra request per page), malformed user objects never cost
a post, and the account's audience is snapshotted at most once per Bogotá day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

import connectors.x as x_module
from connectors.x_profiles import PROFILE_FIELDS
from domain import Platform
from tests.connectors.x_support import HANDLE, Harness, x_harness

MENTIONS = f"x:mentions:{HANDLE}"
OWN = f"x:own:{HANDLE}"
METRICS = f"x:metrics:{HANDLE}"
SEARCH = "x:search:1"
VOICES = ("periodista_ana", "alcaldia_ficticia", "concejal_beto", "telco_ficticia", "ciudadano_sinperfil")


@pytest.fixture
def x() -> Iterator[Harness]:
    with x_harness() as harness:
        yield harness


def _mentions_by(x: Harness, usernames: tuple[str, ...], hours_ago: float = 1) -> dict[str, str]:
    start = x.clock() - timedelta(hours=hours_ago)
    return {name: x.fake.post(name, f"@{HANDLE} la Zona Wi-Fi no funciona ({name})",
                              at=start + i * timedelta(minutes=1))
            for i, name in enumerate(usernames)}


def test_authors_come_with_their_posts_fields_mapped_as_x_sends_them(x):
    posted = _mentions_by(x, VOICES)
    connector = x.connector()
    result = x.poll(connector, MENTIONS)
    assert result.error is None and len(result.posts) == len(VOICES)
    assert result.requests == 2  # the account lookup and one page: profiles cost no request
    page = x.fake.requests_to("mentions")[0].params
    assert set(page["user.fields"].split(",")) == set(PROFILE_FIELDS)
    authors = {a.handle: a for b in result.batches for a in b.authors}
    assert set(authors) == set(VOICES)
    assert {a.author_id for a in authors.values()} == {p.author_id for p in result.posts}

    ana = authors["periodista_ana"]
    assert ana.platform is Platform.X and ana.author_id == x.fake.user_by_name("periodista_ana").id
    assert ana.display_name == "Ana Ficticia" and ana.description.startswith("Periodista de tecnología")
    assert ana.verified_type == "blue" and ana.location == "Bogotá D.C."
    assert (ana.followers, ana.following, ana.post_count) == (412_300, 2_150, 58_900)
    assert ana.website == "https://noticiasficticias.example/ana"  # expanded, not the t.co link X puts in `url`
    assert ana.profile_url == "https://x.com/periodista_ana"
    assert ana.seen_at == x.clock()

    city = authors["alcaldia_ficticia"]
    assert city.verified_type == "government" and city.website == "https://www.villaficticia-syn.gov.co"
    assert authors["telco_ficticia"].verified_type == "business"
    assert authors["concejal_beto"].website is None and authors["concejal_beto"].description.startswith("Concejal")
    plain = authors["ciudadano_sinperfil"]
    assert (plain.description, plain.location, plain.website, plain.verified_type) == (None, None, None, "none")
    assert plain.followers == 12
    body = x.fake.requests_to("mentions")[0].body
    shortened = {u["username"]: u["url"] for u in body["includes"]["users"]}
    assert shortened["periodista_ana"].startswith("https://t.co/") and shortened["ciudadano_sinperfil"] == ""
    assert posted.keys() == authors.keys()


def test_older_naming_tweet_count_is_read_too():
    harness = Harness(naming="tweet")
    try:
        _mentions_by(harness, ("periodista_ana",))
        result = harness.poll(harness.connector(), MENTIONS)
        body = harness.fake.requests_to("mentions")[0].body
        assert "tweet_count" in body["includes"]["users"][0]["public_metrics"]
        (author,) = [a for b in result.batches for a in b.authors]
        assert author.post_count == 58_900  # (the spec itself requires post_count: no schema check here)
    finally:
        harness.close()


def test_malformed_user_objects_keep_the_post_and_drop_only_the_bad_fields():
    harness = Harness(validate=False)  # these answers break the spec on purpose
    try:
        names = ("periodista_ana", "alcaldia_ficticia", "concejal_beto", "telco_ficticia")
        posted = _mentions_by(harness, names)
        harness.fake.corrupt_user("periodista_ana", public_metrics="muchos", description=123)
        harness.fake.corrupt_user("alcaldia_ficticia", drop=["username"])
        harness.fake.corrupt_user("concejal_beto", entities={"url": {"urls": "no-list"}}, verified_type=5,
                                  public_metrics={"followers_count": -3, "following_count": "x"})
        harness.fake.corrupt_user("telco_ficticia", entities=["x"], location={"city": "Cali"})
        with capture_logs() as logs:
            result = harness.poll(harness.connector(), MENTIONS)
        assert result.error is None and result.rejected == []
        assert sorted(p.external_id for p in result.posts) == sorted(posted.values())  # every post kept
        authors = {a.handle: a for b in result.batches for a in b.authors}
        assert set(authors) == {"periodista_ana", "concejal_beto", "telco_ficticia"}  # no username: no profile
        ana = authors["periodista_ana"]
        assert ana.followers is None and ana.description is None and ana.verified_type == "blue"
        assert ana.website == "https://noticiasficticias.example/ana"
        beto = authors["concejal_beto"]
        assert beto.followers is None and beto.following is None and beto.verified_type is None
        assert beto.post_count is None and beto.description.startswith("Concejal")
        telco = authors["telco_ficticia"]
        assert telco.location is None and telco.website is None and telco.followers == 640_000
        warning = next(e for e in logs if e["event"].startswith("x user objects with unexpected fields"))
        assert warning["users"] == 4
    finally:
        harness.close()


def test_the_watched_account_is_snapshotted_from_its_own_timeline_once_a_bogota_day(x):
    x.fake.post(HANDLE, "Abrimos la convocatoria Talento TI", at=x.clock() - timedelta(hours=2))
    connector = x.connector()
    first = x.poll(connector, OWN)
    assert first.requests == 2  # the account lookup, one page: no request for the snapshot
    (snap,) = [s for b in first.batches for s in b.snapshots]
    assert snap.platform is Platform.X and snap.account == HANDLE and snap.taken_at == x.clock()
    assert (snap.followers, snap.following, snap.post_count) == (1_184_210, 1_302, 98_450)
    own_author = next(a for b in first.batches for a in b.authors)
    assert own_author.handle == HANDLE and own_author.verified_type == "government"

    x.clock.advance(timedelta(minutes=5))
    x.fake.post(HANDLE, "Recuerda: el MinTIC nunca pide dinero", at=x.clock() - timedelta(minutes=1))
    again = x.poll(connector, OWN)
    assert again.requests == 1 and len(again.posts) == 1
    assert [s for b in again.batches for s in b.snapshots] == []  # already one today (Bogotá)

    x.clock.advance(timedelta(hours=14))  # 00:05 of the next day in Bogotá
    x.fake.set_profile(HANDLE, followers=1_185_003)
    x.fake.post(HANDLE, "Buenos días", at=x.clock() - timedelta(minutes=1))
    next_day = x.poll(connector, OWN)
    assert next_day.requests == 1
    assert [s.followers for b in next_day.batches for s in b.snapshots] == [1_185_003]


def test_the_first_account_lookup_carries_the_follower_count(x):
    x.mentions(3)
    connector = x.connector()
    result = x.poll(connector, MENTIONS)
    lookup = x.fake.requests_to("users_by_username")[0].params
    assert set(lookup["user.fields"].split(",")) == {"username", "public_metrics"}
    assert [s.followers for b in result.batches for s in b.snapshots] == [1_184_210]
    assert result.requests == 2
    assert [s for b in x.poll(connector, OWN).batches for s in b.snapshots] == []  # once a day


def test_an_account_silent_for_a_week_is_looked_up_once_a_day_after_the_metrics_refresh(x):
    x.mentions(2)
    connector = x.connector()
    x.poll(connector, MENTIONS)  # its lookup gives today's snapshot
    x.clock.advance(timedelta(hours=14))  # next Bogotá day; the account has not posted at all
    refresh = x.poll(connector, METRICS)
    assert refresh.error is None
    assert refresh.requests == 2  # the (empty) 7-day timeline, then the one lookup of the day
    assert [s.account for b in refresh.batches for s in b.snapshots] == [HANDLE]
    x.clock.advance(timedelta(hours=4))  # the next refresh, same day
    later = x.poll(connector, METRICS)
    assert later.requests == 1 and [s for b in later.batches for s in b.snapshots] == []
    for _ in range(3):  # the other streams never look it up
        x.clock.advance(timedelta(minutes=2))
        for stream in (MENTIONS, OWN, SEARCH):
            assert x.poll(connector, stream).requests == 1


def test_without_a_metrics_stream_the_own_stream_looks_up_once_a_day(x):
    connector = x.connector(metrics_refresh_days=0)
    x.poll(connector, MENTIONS)
    x.clock.advance(timedelta(hours=14))
    polls = [x.poll(connector, OWN) for _ in range(3)]
    assert [p.requests for p in polls] == [2, 1, 1]
    assert [len([s for b in p.batches for s in b.snapshots]) for p in polls] == [1, 0, 0]


def test_requests_per_page_did_not_grow_with_the_profile_fields(monkeypatch):
    """The same backfill with the old user.fields and with the profile fields: the same requests."""
    counts = {}
    for label, fields in (("old", ("username", "name", "verified")), ("new", PROFILE_FIELDS)):
        monkeypatch.setattr(x_module, "USER_FIELDS", fields)
        harness = Harness()
        try:
            harness.mentions(250)
            harness.fake.post(HANDLE, "Comunicado", at=harness.clock() - timedelta(minutes=30))
            start = harness.clock() - timedelta(hours=2)
            for i in range(150):
                harness.fake.post(f"vecina_{i % 40}", f"El MinTIC y la señal en la vereda {i}",
                                  at=start + i * timedelta(seconds=20))
            connector = harness.connector()
            counts[label] = [harness.poll(connector, s).requests for s in (MENTIONS, OWN, METRICS, SEARCH)]
            sent = harness.fake.requests_to("mentions")[0].params["user.fields"]
            assert set(sent.split(",")) == set(fields)
        finally:
            harness.close()
    assert counts["old"] == counts["new"] == [1 + 3, 1, 1, 2]


@pytest.mark.parametrize("users", [5, "users", {"id": "1"}, [None, 3, {"id": "no-id", "username": "x"}]])
def test_a_broken_includes_users_costs_the_profiles_never_the_posts(users):
    from datetime import UTC, datetime

    from connectors.x_mapping import MapContext, map_page, read_page
    from connectors.x_profiles import page_authors

    body = {"data": [{"id": "1900000000000000001", "author_id": "42", "text": f"@{HANDLE} hola",
                      "created_at": "2026-11-16T14:00:00.000Z"}],
            "includes": {"users": users, "posts": "broken"}, "meta": {"result_count": 1}}
    page = read_page(body)
    mapped = map_page(page, MapContext(stream=MENTIONS, role="mention", account=HANDLE, account_id="7"))
    assert [p.external_id for p in mapped.posts] == ["1900000000000000001"] and mapped.rejected == ()
    assert page_authors(mapped.posts, page.users, datetime(2026, 11, 16, 15, tzinfo=UTC), MENTIONS) == ()
