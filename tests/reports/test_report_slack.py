"""The report's Slack delivery through the real slack-sdk against the fake Slack server: once, and safely."""

from __future__ import annotations

import json

from slack_sdk import WebClient

from bot.alerts.slack_sink import SlackSink, build_slack_sink
from bot.clock import ManualClock
from bot.reports.weekly import run_weekly_report, write_weekly_summary
from storage.models import AlertRow, ReportRunRow
from storage.unit_of_work import UnitOfWork
from tests.fakes.slack_api import TOKEN, Fault
from tests.reports.conftest import MONDAY_AFTER
from tests.reports.sample_data import SAMPLE_WEEK, services

CHANNELS = {"alerts": "#vigia-alertas", "ops": "#vigia-operaciones"}



def _svc(sample, tmp_path, slack, **kw):
    sink = build_slack_sink(TOKEN, None, slack.base_url, CHANNELS)
    return services(sample, tmp_path, ManualClock(MONDAY_AFTER), sinks={"slack": sink}, **kw)


def _calls(slack) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] if r.path.startswith("/api/") else "upload" for r in slack.fake.requests]


def test_summary_then_files_in_its_thread(sample, tmp_path, slack):
    outcome = run_weekly_report(_svc(sample, tmp_path, slack), SAMPLE_WEEK)
    assert outcome.built and outcome.posted and outcome.slack == "posted"
    calls = _calls(slack)
    # the channel name is resolved to its ID, following the pages of conversations.list
    assert calls[:calls.index("chat.postMessage")] == ["conversations.list"] * 3
    assert calls[calls.index("chat.postMessage"):] == ["chat.postMessage", "files.getUploadURLExternal", "upload",
                                                       "files.completeUploadExternal"]
    [message] = slack.fake.posted("C0REPORT1")
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "Informe semanal de redes sociales · 2026-W47" in text
    assert "*Interacciones registradas:*" in text and "*Tasa de respuesta:*" in text
    assert "Hubo 2 incidentes de crisis" in text and f"Ref. informe:{SAMPLE_WEEK}:" in text
    complete = next(r for r in slack.fake.requests if r.path == "/api/files.completeUploadExternal")
    assert complete.params["channel_id"] == "C0REPORT1" and complete.params["thread_ts"] == message["ts"]
    files = complete.params["files"]
    files = json.loads(files) if isinstance(files, str) else files
    assert [f["title"] for f in files] == ["Informe semanal (HTML)"]
    [uploaded] = slack.fake.uploads.values()
    assert uploaded == (outcome.target / f"informe-{SAMPLE_WEEK}.html").read_bytes()
    assert outcome.slack_ref == f"C0REPORT1:{message['ts']}"


def test_a_rerun_or_restart_does_not_post_twice_unless_forced(sample, tmp_path, slack):
    svc = _svc(sample, tmp_path, slack)
    assert write_weekly_summary(svc, SAMPLE_WEEK) is not None
    assert write_weekly_summary(svc, SAMPLE_WEEK) is None  # nothing left to do
    restarted = _svc(sample, tmp_path, slack)  # a new process: new client, same database
    again = run_weekly_report(restarted, SAMPLE_WEEK)
    assert again.already_posted and not again.built and len(slack.fake.posted("C0REPORT1")) == 1
    forced = run_weekly_report(restarted, SAMPLE_WEEK, force=True)
    assert forced.built and forced.posted and len(slack.fake.posted("C0REPORT1")) == 2


def test_a_failed_post_is_reported_and_retried_once(sample, tmp_path, slack):
    client = WebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[])  # fail fast: no retries
    sink = SlackSink(client, CHANNELS, min_interval=0)
    svc = services(sample, tmp_path, ManualClock(MONDAY_AFTER), sinks={"slack": sink})
    slack.fake.faults.append(Fault(503))  # Slack down while resolving the channel: nothing is posted
    failed = run_weekly_report(svc, SAMPLE_WEEK)
    assert failed.built and failed.slack == "failed" and "conversations.list" in failed.error
    assert "chat.postMessage" not in _calls(slack)
    slack.fake.faults.append(Fault(503, method="chat.postMessage"))
    failed = run_weekly_report(svc, SAMPLE_WEEK)
    assert failed.slack == "failed" and "chat.postMessage" in failed.error
    with UnitOfWork(sample) as uow:
        row = uow.session.get(ReportRunRow, SAMPLE_WEEK)
        assert row.posted_at is None and row.slack_ref.startswith("sending|C0REPORT1|")
        alerts = uow.session.query(AlertRow).all()
        assert {a.title for a in alerts} == {"No se pudo publicar el informe semanal 2026-W47 en Slack"}
        assert {a.channel for a in alerts} == {"ops"}
    retried = run_weekly_report(svc, SAMPLE_WEEK)
    assert retried.posted and not retried.built
    assert len(slack.fake.posted("C0REPORT1")) == 1 and len(slack.fake.uploads) == 1


def test_files_follow_a_summary_posted_before_a_crash(sample, tmp_path, slack):
    svc = _svc(sample, tmp_path, slack)
    run_weekly_report(svc, SAMPLE_WEEK)
    [message] = slack.fake.posted("C0REPORT1")
    with UnitOfWork(sample) as uow:  # died after the summary was recorded, before the files went up
        uow.session.get(ReportRunRow, SAMPLE_WEEK).posted_at = None
        uow.commit()
    slack.fake.requests.clear()
    outcome = run_weekly_report(svc, SAMPLE_WEEK)
    assert outcome.posted and _calls(slack) == ["files.getUploadURLExternal", "upload",
                                                "files.completeUploadExternal"]
    complete = slack.fake.requests[-1]
    assert complete.params["thread_ts"] == message["ts"]


def test_a_post_cut_off_by_a_crash_is_found_not_repeated(sample, tmp_path, slack):
    svc = _svc(sample, tmp_path, slack)
    run_weekly_report(svc, SAMPLE_WEEK)
    # Pretend the process died right after chat.postMessage, before recording it.
    with UnitOfWork(sample) as uow:
        row = uow.session.get(ReportRunRow, SAMPLE_WEEK)
        row.posted_at = None
        row.slack_ref = f"sending|C0REPORT1|{slack.fake._clock:.0f}"  # Slack timestamps are its wall clock
        uow.commit()
    slack.fake.requests.clear()
    outcome = run_weekly_report(svc, SAMPLE_WEEK)
    assert outcome.posted and len(slack.fake.posted("C0REPORT1")) == 1
    assert "chat.postMessage" not in _calls(slack) and "conversations.history" in _calls(slack)


def test_a_post_marked_by_channel_name_is_found_by_its_id_after_a_restart(sample, tmp_path, slack):
    """Before the channel ID was known, the attempt was marked with the name; Slack's history takes IDs."""
    run_weekly_report(_svc(sample, tmp_path, slack), SAMPLE_WEEK)
    [message] = slack.fake.posted("C0REPORT1")
    assert message["metadata"]["event_type"] == "vigia_report"
    with UnitOfWork(sample) as uow:
        row = uow.session.get(ReportRunRow, SAMPLE_WEEK)
        row.posted_at = None
        row.slack_ref = f"sending|#vigia-informes|{slack.fake._clock:.0f}"
        uow.commit()
    slack.fake.requests.clear()
    outcome = run_weekly_report(_svc(sample, tmp_path, slack), SAMPLE_WEEK)  # a new process, a new sink
    assert outcome.posted and len(slack.fake.posted("C0REPORT1")) == 1
    [check] = [r for r in slack.fake.requests if r.path == "/api/conversations.history"]
    assert check.params["channel"] == "C0REPORT1"


def test_webhook_only_posts_the_summary(sample, tmp_path, slack):
    sink = build_slack_sink(None, slack.webhook_url, slack.base_url, CHANNELS)
    svc = services(sample, tmp_path, ManualClock(MONDAY_AFTER), sinks={"slack": sink})
    outcome = run_weekly_report(svc, SAMPLE_WEEK)
    assert outcome.slack == "webhook" and outcome.posted
    [message] = slack.fake.posted("webhook")
    assert "Informe completo en" in json.dumps(message["blocks"], ensure_ascii=False)
    assert not slack.fake.uploads


def test_no_slack_flag_builds_only(sample, tmp_path, slack):
    outcome = run_weekly_report(_svc(sample, tmp_path, slack), SAMPLE_WEEK, slack=False)
    assert outcome.built and outcome.slack == "disabled" and slack.fake.requests == []
