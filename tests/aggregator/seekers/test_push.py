"""Push: signed webhook calls, once per person and job, retries, dead letters, rate limits, quiet hours."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path
from typing import Any

from aggregator.app import App
from aggregator.seekers import SeekerRegistration, Seekers, SubscriptionRequest
from aggregator.seekers.service import MAX_ATTEMPTS
from tests.aggregator.seekers.conftest import Clock, Receiver, posting
from tests.conftest import job, write_ndjson, write_source

SECRET = "whsec-test-1"


def _register(s: Seekers, receiver: Receiver, **kw: Any) -> str:
    channel = {"kind": "webhook", "url": receiver.url, "secret": SECRET}
    return s.register(SeekerRegistration.model_validate({"channel": channel, **kw}))


def _store(app: App, *postings: Any) -> None:
    with app.catalog.transaction():
        for p in postings:
            app.catalog.upsert_posting(p, None)


def test_webhook_call_is_signed_and_carries_the_reasons(open_app: Any, receiver: Receiver, clock: Clock) -> None:
    app = open_app()
    s = Seekers.of(app, clock=clock)
    sid = _register(s, receiver, region="440100", min_pay="20元/小时")
    _store(app, posting(1, pay=(180, None, "day")), posting(2, pay=(120, None, "day")))
    assert s.process_changes() == 1
    report = s.dispatch()
    assert (report.sent, report.dead) == (1, 0)
    ((headers, body),) = receiver.calls
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-lingong-signature"], expected)
    (msg,) = receiver.messages()
    assert msg["seeker_id"] == sid
    assert msg["posting"]["id"] == posting(1).id
    assert any("≥ your 20元/小时" in r for r in msg["reasons"])
    assert headers["x-lingong-delivery"] == str(msg["delivery_id"])
    # nothing new: a second pass sends nothing
    assert s.process_changes() == 0
    assert s.dispatch().sent == 0


def test_subscription_uses_the_same_matcher(open_app: Any, receiver: Receiver, clock: Clock) -> None:
    app = open_app()
    s = Seekers.of(app, clock=clock)
    channel = {"kind": "webhook", "url": receiver.url, "secret": SECRET}
    s.subscribe(SubscriptionRequest.model_validate({"q": "厨师", "region": "440100", "channel": channel}))
    _store(app, posting(1, title="夜班厨师", category="餐饮服务"), posting(2, title="仓库分拣员"))
    s.process_changes()
    s.dispatch()
    assert [m["posting"]["title"] for m in receiver.messages()] == ["夜班厨师"]


def test_a_duplicate_from_another_source_is_not_pushed_again(open_app: Any, sources_dir: Path, tmp_path: Path,
                                                             receiver: Receiver) -> None:
    record = job(1)
    write_source(sources_dir, "feed_a", options={"path": str(write_ndjson(tmp_path / "a.ndjson", [record])),
                                                 "format": "ndjson"})
    app = open_app()
    _register(Seekers.of(app), receiver, region="440100", min_pay="20元/小时", categories=["物流配送"])
    app.harvest(app.select(["feed_a"])[0])
    app.sync()  # matching and the first delivery pass run after every index sync
    assert len(receiver.calls) == 1
    write_source(sources_dir, "feed_b", options={"path": str(write_ndjson(tmp_path / "b.ndjson", [record])),
                                                 "format": "ndjson"}, trust=0.9)
    app2 = open_app()
    app2.harvest(app2.select(["feed_b"])[0])
    app2.sync()
    clusters = {p.cluster_id for p in app2.catalog.iter_postings()}
    assert len(clusters) == 1, "the two copies are one job"
    assert len(receiver.calls) == 1, "the same job is never pushed twice to one person"
    # a changed copy (new pay) is re-matched but still not pushed again
    record2 = {**record, "pay": "220元/天"}
    write_ndjson(tmp_path / "b.ndjson", [record2])
    app2.harvest(app2.select(["feed_b"])[0])
    app2.sync()
    assert len(receiver.calls) == 1


def test_failed_calls_are_retried_with_backoff(open_app: Any, receiver: Receiver, clock: Clock) -> None:
    app = open_app()
    s = Seekers.of(app, clock=clock, backoff_s=60)
    _register(s, receiver)
    _store(app, posting(1))
    s.process_changes()
    receiver.statuses = [500, 503]
    assert s.dispatch().retried == 1
    assert s.dispatch().sent == 0, "not due before the backoff"
    clock.now += timedelta(seconds=61)
    assert s.dispatch().retried == 1
    clock.now += timedelta(seconds=119)
    assert s.dispatch().sent == 0, "the second wait is twice as long"
    clock.now += timedelta(seconds=2)
    assert s.dispatch().sent == 1
    assert len(receiver.calls) == 3
    assert len({h["x-lingong-delivery"] for h, _ in receiver.calls}) == 1
    assert app.catalog.dead_letters() == []


def test_a_call_that_keeps_failing_ends_in_the_dead_letter_table(open_app: Any, receiver: Receiver,
                                                                 clock: Clock) -> None:
    app = open_app()
    s = Seekers.of(app, clock=clock, backoff_s=1)
    _register(s, receiver)
    _store(app, posting(1))
    s.process_changes()
    receiver.always = 500
    for _ in range(MAX_ATTEMPTS):
        s.dispatch()
        clock.now += timedelta(hours=1)
    assert len(receiver.calls) == MAX_ATTEMPTS
    (dead,) = app.catalog.dead_letters()
    assert dead["attempts"] == MAX_ATTEMPTS
    assert "HTTP 500" in dead["error"] and receiver.url not in dead["error"]
    assert s.dispatch().sent == 0 and len(receiver.calls) == MAX_ATTEMPTS


def test_unknown_channel_kind_is_a_dead_letter_at_once(open_app: Any, clock: Clock) -> None:
    app = open_app()
    s = Seekers.of(app, clock=clock)
    s.register(SeekerRegistration.model_validate({"channel": {"kind": "carrier_pigeon", "id": "coop-7"}}))
    _store(app, posting(1))
    s.process_changes()
    assert s.dispatch().dead == 1
    assert "no plugin delivers to channel kind 'carrier_pigeon'" in app.catalog.dead_letters()[0]["error"]


def test_rate_limit_per_person(open_app: Any, receiver: Receiver, clock: Clock) -> None:
    app = open_app()
    s = Seekers.of(app, clock=clock)
    _register(s, receiver, max_per_hour=2)
    _store(app, *(posting(i) for i in range(5)))
    s.process_changes()
    report = s.dispatch()
    assert (report.sent, report.deferred) == (2, 3)
    clock.now += timedelta(minutes=30)
    assert s.dispatch().sent == 0
    clock.now += timedelta(minutes=31)
    assert s.dispatch().sent == 2
    clock.now += timedelta(minutes=61)
    assert s.dispatch().sent == 1
    assert len(receiver.calls) == 5


def test_quiet_hours_hold_notifications_until_morning(open_app: Any, receiver: Receiver, clock: Clock) -> None:
    app = open_app()
    s = Seekers.of(app, clock=clock)
    _register(s, receiver, quiet_hours="22:00-07:00")
    clock.now = clock.now.replace(hour=15)  # 23:00 in Shanghai
    _store(app, posting(1))
    s.process_changes()
    assert s.dispatch().deferred == 1
    clock.now = clock.now.replace(hour=22, minute=59)  # 06:59 next day in Shanghai
    assert s.dispatch().sent == 0 and receiver.calls == []
    clock.now = clock.now.replace(hour=23, minute=0)  # 07:00
    assert s.dispatch().sent == 1
