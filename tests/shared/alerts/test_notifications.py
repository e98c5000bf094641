"""Grouping, routing, repeat interval, silences, acknowledgements and the bilingual texts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.alerts.notify import Notification
from shared.alerts.state import Matcher
from shared.rules.model import RuleSet
from tests.shared.alerts.helpers import T0, Harness, feed, hours, one_rule

ALL_LOW = "{name: below_target, kind: below_target}"


def by_receiver(notices: tuple[Notification, ...]) -> dict[str, list[tuple[str, str, str]]]:
    return {n.receiver: [(a.status, a.labels["indicator"], a.labels["org_unit"]) for a in n.alerts] for n in notices}


def test_one_notification_per_receiver_listing_all_its_alerts(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, ALL_LOW))
    result = h.run(T0)
    # below target (2025):
    #   A1 (owner VP, 80% everywhere): C1 0.75, C2 0.1667, D1 0.4, D2 0.5, P 0.4286 -> 5 (D2.C1 has 100%)
    #   A2 (owner VP): D1 0.7 < 80%, P 0.7 < 90% -> 2 (C1 meets the commune's 60%)
    #   B1 (owner KHCN, 100%): D1 0.5, P 0.3333 -> 2 (D2: no commune reported)
    #   B2 (owner KHCN): P 7 < 10 -> 1
    # VP gets its 7; KHCN, the DTI department, is copied on everything: 10. Two notifications, not ten.
    got = by_receiver(result.notifications)
    assert sorted(got) == ["KHCN", "VP"]
    assert len(got["VP"]) == 7 and {i for _, i, _ in got["VP"]} == {"A1", "A2"}
    assert len(got["KHCN"]) == 10
    vp = next(n for n in result.notifications if n.receiver == "VP")
    assert vp.group_key == '{}:{receiver="VP"}' and vp.status == "firing"
    assert vp.receiver_name == "Văn phòng UBND" and vp.receiver_name_en == "Office of the People's Committee"
    assert all(a.labels["department"] == "VP" for a in vp.alerts)


def test_group_by_splits_a_receivers_notifications(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, ALL_LOW, settings="settings: {group_by: [receiver, level]}\n"))
    got = {(n.receiver, n.group_labels["level"]): len(n.alerts) for n in h.run(T0).notifications}
    # VP: A1 at 2 communes, 2 districts, the province; A2 at D1 and P
    assert got[("VP", "commune")] == 2 and got[("VP", "district")] == 3 and got[("VP", "province")] == 2


def test_routing_to_a_named_receiver_and_without_copy(mini_rules: RuleSet) -> None:
    rule = "{name: a2_low, kind: below_target, receiver: KHCN, match: {indicators: [A2]}}"
    h = Harness(one_rule(mini_rules, rule, settings="settings: {copy_dti_department: false}\n"))
    assert sorted(by_receiver(h.run(T0).notifications)) == ["KHCN"]
    rule = "{name: a2_low, kind: below_target, match: {indicators: [A2]}}"
    h = Harness(one_rule(mini_rules, rule, settings="settings: {copy_dti_department: false}\n"))
    assert sorted(by_receiver(h.run(T0).notifications)) == ["VP"]


def test_repeat_interval_for_still_firing_alerts(mini_rules: RuleSet) -> None:
    rule = "{name: a2_low, kind: below_target, match: {indicators: [A2]}}"
    h = Harness(one_rule(mini_rules, rule, settings="settings: {repeat_interval: 12h}\n"))
    assert len(h.run(T0).notifications) == 2
    assert h.run(T0 + hours(1)).notifications == ()  # nothing new, nothing resolved, not yet due
    assert h.run(T0 + hours(11)).notifications == ()
    again = h.run(T0 + hours(12)).notifications  # 12 hours after the last notice: the reminder
    assert sorted(by_receiver(again)) == ["KHCN", "VP"] and all(len(n.alerts) == 2 for n in again)
    assert h.run(T0 + hours(13)).notifications == ()


def test_a_new_alert_brings_the_groups_whole_picture(mini_rules: RuleSet) -> None:
    rule = "{name: vp_low, kind: below_target, match: {owners: [VP], levels: [province]}}"
    h = Harness(one_rule(mini_rules, rule, settings="settings: {copy_dti_department: false}\n"))
    assert by_receiver(h.run(T0).notifications) == {
        "VP": [("firing", "A1", "P"), ("firing", "A2", "P")]  # A1 0.4286 < 0.8, A2 0.7 < 0.9
    }
    # A2 recovers (9/10 = 0.9) and resolves: the notice lists what still fires and what resolved
    feed(h.scoring, "work.records_online", "P.D1.C1", 2)
    assert by_receiver(h.run(T0 + hours(1)).notifications) == {"VP": [("firing", "A1", "P"), ("resolved", "A2", "P")]}
    # a resolved alert is announced once
    assert h.run(T0 + hours(2)).notifications == ()


def test_silence_mutes_firing_and_resolved_notices_until_it_expires(mini_rules: RuleSet) -> None:
    rule = "{name: vp_low, kind: below_target, match: {owners: [VP], levels: [province]}}"
    h = Harness(one_rule(mini_rules, rule, settings="settings: {copy_dti_department: false}\n"))
    silence = h.book.add_silence(
        [Matcher.parse("indicator=A2")], T0, T0 + hours(3), "admin@khcn", "e-office migration this morning"
    )
    assert by_receiver(h.run(T0).notifications) == {"VP": [("firing", "A1", "P")]}
    assert h.alert("vp_low", "A2", "P").state == "firing"  # silenced, but its state is kept
    h.run(T0 + hours(1))
    # the silence ends: A2 is news to VP
    assert by_receiver(h.run(T0 + hours(3)).notifications) == {"VP": [("firing", "A1", "P"), ("firing", "A2", "P")]}
    # silenced again; A2 resolves while silenced: no resolved notice
    h.book.add_silence([Matcher.parse("indicator=~A2|B2")], T0 + hours(4), T0 + hours(8), "admin", "again")
    feed(h.scoring, "work.records_online", "P.D1.C1", 2)
    assert h.run(T0 + hours(5)).notifications == ()
    assert h.alert("vp_low", "A2", "P").state == "resolved"
    assert h.book.silences[silence.id].active(T0 + hours(1))
    h.book.expire_silence(silence.id, T0 + hours(2))
    assert not h.book.silences[silence.id].active(T0 + hours(2))


def test_acknowledgement_stops_reminders_until_it_expires_and_ends_with_the_alert(mini_rules: RuleSet) -> None:
    rule = "{name: vp_low, kind: below_target, match: {owners: [VP], levels: [province]}}"
    h = Harness(one_rule(mini_rules, rule, settings="settings: {copy_dti_department: false, repeat_interval: 1d}\n"))
    h.run(T0)
    a1 = h.alert("vp_low", "A1", "P")
    h.book.acknowledge(a1.fingerprint, "chanh.vp", T0 + timedelta(days=2), T0 + hours(1), "plan approved")
    # the daily reminder leaves the acknowledged alert out
    assert by_receiver(h.run(T0 + timedelta(days=1)).notifications) == {"VP": [("firing", "A2", "P")]}
    # after the acknowledgement expires, the next reminder has it again
    assert by_receiver(h.run(T0 + timedelta(days=2, hours=1)).notifications) == {
        "VP": [("firing", "A1", "P"), ("firing", "A2", "P")]
    }
    # acknowledged again; when it recovers, the resolved notice still goes out and the ack is gone
    h.book.acknowledge(a1.fingerprint, "chanh.vp", T0 + timedelta(days=9), T0 + timedelta(days=3))
    # the province files 26 records, all online: (6 + 26) / (14 + 26) = 32/40 = 0.8, the target
    feed(h.scoring, "tthc.records_total", "P", 1, times=26)
    feed(h.scoring, "tthc.records_online", "P", 1, times=26)
    notices = h.run(T0 + timedelta(days=3, hours=1)).notifications
    assert by_receiver(notices) == {"VP": [("firing", "A2", "P"), ("resolved", "A1", "P")]}
    assert h.alert("vp_low", "A1", "P").ack is None


def test_acknowledge_and_silence_refuse_nonsense(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, "{name: lgsp_low, kind: below_target, match: {indicators: [B2]}}"))
    h.run(T0)
    fp = h.alert("lgsp_low", "B2", "P").fingerprint
    with pytest.raises(ValueError, match="future"):
        h.book.acknowledge(fp, "admin", T0, T0 + hours(1))
    with pytest.raises(KeyError):
        h.book.acknowledge("nope", "admin", T0 + hours(2), T0)
    with pytest.raises(ValueError, match="every alert"):
        h.book.add_silence([Matcher.parse("severity!=critical")], T0, T0 + hours(1), "admin", "why")
    with pytest.raises(ValueError, match="author"):
        h.book.add_silence([Matcher.parse("indicator=B2")], T0, T0 + hours(1), "admin", " ")
    with pytest.raises(ValueError, match="regular expression"):
        Matcher.parse("indicator=~(")


def test_messages_say_what_where_how_far_and_who_in_vietnamese_first(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, "{name: work_online_low, kind: below_target, match: {indicators: [A2]}}"))
    h.run(T0)
    d = h.alert("work_online_low", "A2", "P.D1").annotations["description"]
    vi, en = d.split("\n\n")
    link = "http://dti.test/?unit=P.D1&period=2025&framework=mini&indicator=A2"  # the page, not raw JSON
    for part in (
        "[CẢNH BÁO]",
        "«Hồ sơ công việc trên mạng» (A2)",
        "Huyện D1 (cấp huyện), kỳ 2025",
        "đạt 70%, chưa đạt chỉ tiêu 80% (còn thiếu 10 điểm phần trăm)",
        "Đơn vị phụ trách: Văn phòng UBND.",
        link,
    ):
        assert part in vi, (part, vi)
    for part in (
        "[WARNING]",
        "“Work records online” (A2)",
        "Huyện D1 (district level), period 2025",
        "70%, short of its target of 80% by 10 percentage points",
        "Owner: Office of the People's Committee.",
        link,
    ):
        assert part in en, (part, en)
    summary = h.alert("work_online_low", "A2", "P.D1").annotations["summary"]
    assert summary.index("chưa đạt chỉ tiêu") < summary.index("below target")
    # the e-mail of the grouped notice
    notice = next(n for n in h.run(T0 + timedelta(days=1)).notifications if n.receiver == "VP")
    subject, body = notice.text()
    assert subject.startswith("[DTI] Văn phòng UBND: 2 cảnh báo, 0 đã khắc phục / ")
    assert body.startswith("ĐANG CẢNH BÁO / FIRING (2)") and link in body
    assert len(body.splitlines()) == 3  # one line per alert, under the heading


def test_numbers_read_as_vietnamese_write_them() -> None:
    from shared.alerts.messages import fmt_en, fmt_vi, gap_vi

    assert fmt_vi(0.66, "number") == "0,66" and fmt_en(0.66, "number") == "0.66"
    assert fmt_vi(0.494362, "number") == "0,494"  # sensible rounding, not 0,494362
    assert fmt_vi(0.4286, "percent") == "42,9%" and fmt_en(0.4286, "percent") == "42.9%"
    assert fmt_vi(12345, "count") == "12.345" and fmt_en(12345, "count") == "12,345"
    assert (fmt_vi(0, "yes_no"), fmt_vi(1, "yes_no"), fmt_en(1, "yes_no")) == ("Không", "Có", "Yes")
    assert gap_vi(0.1, "percent") == "10 điểm phần trăm"
