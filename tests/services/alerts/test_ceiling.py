"""A ceiling on alerts, counted (issue 14, item 4): what the first two minutes of `dti demo` with default
options raise, and a 3-day LGSP outage.

The simulator's pure generator (the stream `dti demo` sends) is played into an in-process scoring engine
and alert engine with the province's rules and an explicit clock, instead of a real two-minute demo:
the same events and rounds, counted in seconds. `dti demo` sends 100 events/s by default and the alerts
service evaluates every 60 s, so two minutes are 12,000 events and two rounds. The simulated year is a
past one (2025) with the clock set at its 4 December, as the demo's clock is months after its start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from services.simulate.generator import EventItem
from services.simulate.session import plan_generated
from shared.alerts.conditions import PythonEvaluator
from shared.alerts.engine import AlertEngine, RoundResult
from shared.alerts.state import AlertBook
from shared.periods import PROVINCE_TZ
from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, ScoringEngine

YEAR = 2025
NOW = datetime(YEAR, 12, 4, 9, 0, tzinfo=PROVINCE_TZ)
DEMO_EVENTS = 2 * 60 * 100  # two minutes at the demo's default 100 events/s
MAX_FIRING = 100
MAX_DIGEST_LINES = 60


class Province:
    """Scores, newest data per (metric, unit) and per source, fed from the simulator's stream."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.scoring = ScoringEngine(rules)
        self.last_data: dict[tuple[str, str], datetime] = {}
        self.last_source: dict[str, datetime] = {}
        self.alerts = AlertEngine(rules, "http://dti.test", PythonEvaluator)
        self.book = AlertBook()

    def play(self, items: Iterator[EventItem]) -> int:
        events = []
        for item in items:
            b = item.body
            when = datetime.fromisoformat(b["occurred_at"])
            events.append(MetricEvent(b["metric"], b["org_unit"], b["value"], when))
            key = (b["metric"], b["org_unit"])
            self.last_data[key] = max(self.last_data.get(key, when), when)
            self.last_source[item.source] = max(self.last_source.get(item.source, when), when)
        self.scoring.apply_many(events)
        return len(events)

    def round(self, now: datetime) -> RoundResult:
        scores = [s for s in self.scoring.results.values() if s.year == now.year]
        result = self.alerts.evaluate(self.book, scores, now, self.last_data, self.last_source)
        assert result.errors == ()
        return result


def stream(rules: RuleSet) -> Iterator[EventItem]:
    plan = plan_generated(rules, seed=1, rate=None, speed=None, year=YEAR, now=NOW)
    for item in plan.items:
        if isinstance(item, EventItem):  # departments' quarterly observations come ten days after a quarter
            yield item


def test_first_two_minutes_of_the_demo(province_rules: RuleSet) -> None:
    p = Province(province_rules)
    items = stream(province_rules)
    assert p.play(next(items) for _ in range(DEMO_EVENTS)) == DEMO_EVENTS
    digests = []
    for minute in (1, 2):
        digests += p.round(NOW + timedelta(minutes=minute)).notifications
    firing = p.book.find(["firing"])
    by_rule = Counter(a.rule for a in firing)
    assert 0 < len(firing) <= MAX_FIRING, by_rule
    # every system the simulator plays is one alert (the stream stopped months before the clock)
    assert by_rule["source_silent"] == 5
    assert digests
    for n in digests:
        _subject, body = n.text()
        assert len(body.splitlines()) <= MAX_DIGEST_LINES, (n.receiver, len(body.splitlines()))
    # one alert per condition across frameworks: grouped alerts name both frameworks' indicators, each line once
    both = [a for a in firing if a.members and len({m["framework"] for m in a.members}) == 2]
    assert both and all("," in a.labels["framework"] for a in both)
    for a in firing:
        listed = [line for line in a.annotations["description"].splitlines() if line.startswith("- ")]
        assert len(listed) == len(set(listed)), a.annotations["description"]
    # nothing is notified twice in two rounds a minute apart
    assert len({n.receiver for n in digests}) == len(digests)


def test_a_three_day_lgsp_outage_is_one_alert_with_the_rest_under_it(province_rules: RuleSet) -> None:
    p = Province(province_rules)
    items = stream(province_rules)
    first = next(items)
    start = datetime.fromisoformat(first.body["occurred_at"])
    outage = start + timedelta(days=1)  # LGSP stops after a day; four days are played
    kept = [first]
    for item in items:
        when = datetime.fromisoformat(item.body["occurred_at"])
        if when > start + timedelta(days=5):
            break
        if item.source != "lgsp" or when <= outage:
            kept.append(item)
    p.play(iter(kept))
    end = max(p.last_source.values())
    result = p.round(end)
    sources = [a for a in p.book.find(["firing"]) if a.rule == "source_silent"]
    assert [a.labels["source"] for a in sources] == ["lgsp"]
    lgsp = sources[0]
    assert lgsp.annotations["summary"].startswith("[NGHIÊM TRỌNG] Trục liên thông LGSP không gửi số liệu từ")
    under = [a for a in p.book.find(["firing"]) if a.inhibited_by]
    assert under and all(a.inhibited_by == [lgsp.fingerprint] for a in under)
    told = {a.fingerprint for n in result.notifications for a in n.alerts}
    assert lgsp.fingerprint in told and not told & {a.fingerprint for a in under}
