"""Alert texts, Vietnamese first and English after: which indicator, which unit, value against target with
the gap, level, period, owner, and a link to the score — what a department needs to act without
opening anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlencode

from shared import bilingual
from shared.periods import PROVINCE_TZ
from shared.rules.alert_model import Kind, Severity
from shared.rules.codes import INDEX

_SEVERITY_VI = {"critical": "NGHIÊM TRỌNG", "warning": "CẢNH BÁO", "info": "THÔNG TIN"}
_LEVEL_VI = {"province": "cấp tỉnh", "district": "cấp huyện", "commune": "cấp xã"}
_KIND_VI = {
    "source_silent": "hệ thống không gửi số liệu",
    "below_target": "chưa đạt chỉ tiêu",
    "off_trajectory": "chậm so với lộ trình",
    "stale": "chậm báo cáo số liệu",
    "sudden_drop": "sụt giảm đột ngột",
    "goal_at_risk": "nguy cơ không đạt mục tiêu DTI",
}
_KIND_EN = {
    "source_silent": "system silent",
    "below_target": "below target",
    "off_trajectory": "off trajectory",
    "stale": "late data",
    "sudden_drop": "sudden drop",
    "goal_at_risk": "DTI goal at risk",
}


@dataclass(frozen=True, slots=True)
class Reading:
    """What was measured for one alert candidate, in the words a message needs."""

    kind: Kind
    framework: str
    indicator: str  # indicator code, or DTI for the index
    name: str
    name_en: str
    unit: str  # the indicator's unit: percent, count, number, rank, yes_no
    org_unit: str
    org_unit_name: str
    level: str
    period: str
    owner: str
    owner_name: str
    owner_name_en: str
    link: str
    value: float | None = None
    reference: float | None = None  # target, expected value on the path, best reading in the window
    gap: float | None = None  # how far short of the reference (positive = worse)
    higher_is_better: bool = True
    details: dict[str, str] = field(default_factory=dict)  # kind-specific: due period, window, tolerance, ...


def score_link(base_url: str, org_unit: str, period: str, framework: str, indicator: str = "") -> str:
    """The page for the unit (and the indicator) the alert is about, not the raw JSON."""
    query = {"unit": org_unit, "period": period, "framework": framework}
    if indicator:
        query["indicator"] = indicator
    return f"{base_url.rstrip('/')}/?{urlencode(query)}"


# ---------------------------------------------------------------- numbers and dates
def _grouped(text: str, sep: str) -> str:
    """Thousands separated: 12,345.6 in English, 12.345,6 in Vietnamese."""
    whole, dot, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    out = sign + ("," if sep == "en" else ".").join(groups)
    return out + ((("." if sep == "en" else ",") + frac) if dot else "")


def _plain(value: float, decimals: int) -> str:
    """Rounded to `decimals` places, trailing zeros dropped: 0.494362 -> 0.494, 3.0 -> 3."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _fmt(value: float | None, unit: str, lang: str) -> str:
    if value is None:
        return "—"
    if unit == "yes_no":
        yes = value >= 0.5
        return ("Có" if yes else "Không") if lang == "vi" else ("Yes" if yes else "No")
    if unit == "percent":
        return _grouped(_plain(value * 100, 1), lang) + "%"
    if unit in ("count", "rank") or float(value).is_integer():
        return _grouped(_plain(value, 0 if float(value).is_integer() else 2), lang)
    return _grouped(_plain(value, 3 if abs(value) < 10 else 1), lang)


def fmt_en(value: float | None, unit: str) -> str:
    """English: 75.4%, 1,234, 0.494, Yes."""
    return _fmt(value, unit, "en")


def fmt_vi(value: float | None, unit: str) -> str:
    """Vietnamese: a decimal comma and dotted thousands (42,9%, 1.234, 0,494), Có/Không for yes/no."""
    return _fmt(value, unit, "vi")


def gap_en(gap: float, unit: str) -> str:
    if unit == "percent":
        return f"{_plain(gap * 100, 1)} percentage points"
    return "—" if unit == "yes_no" else fmt_en(gap, unit)


def gap_vi(gap: float, unit: str) -> str:
    if unit == "percent":
        return f"{_plain(gap * 100, 1).replace('.', ',')} điểm phần trăm"
    return "—" if unit == "yes_no" else fmt_vi(gap, unit)


def date_vi(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def level_vi(level: str) -> str:
    return _LEVEL_VI.get(level, level)


# ---------------------------------------------------------------- per kind
def _head(r: Reading) -> tuple[str, str]:
    what_vi = f"Chỉ số «{r.name}» ({r.indicator})" if r.indicator != INDEX else "Chỉ số DTI"
    what_en = f"Indicator “{r.name_en or r.name}” ({r.indicator})" if r.indicator != INDEX else "The DTI"
    where_vi = f"{r.org_unit_name} ({level_vi(r.level)}), kỳ {r.period}"
    where_en = f"{r.org_unit_name} ({r.level} level), period {r.period}"
    return f"{what_vi} — {where_vi}", f"{what_en} — {where_en}"


def _firing_body(r: Reading) -> tuple[str, str]:
    u = r.unit
    v_vi, v_en = fmt_vi(r.value, u), fmt_en(r.value, u)
    ref_vi, ref_en = fmt_vi(r.reference, u), fmt_en(r.reference, u)
    g_vi = gap_vi(r.gap, u) if r.gap is not None else "—"
    g_en = gap_en(r.gap, u) if r.gap is not None else "—"
    d = r.details
    if r.kind == "below_target":
        return (
            f"đạt {v_vi}, chưa đạt chỉ tiêu {ref_vi} (còn thiếu {g_vi}).",
            f"{v_en}, short of its target of {ref_en} by {g_en}.",
        )
    if r.kind == "off_trajectory":
        return (
            f"đạt {v_vi}, chậm so với lộ trình: đến ngày {d['date_vi']} cần đạt {ref_vi}, còn thiếu {g_vi} "
            f"(dung sai {d['tolerance']}).",
            f"{v_en}, off its trajectory: the path to the target expects {ref_en} by {d['date']}, "
            f"{g_en} short (tolerance {d['tolerance']}).",
        )
    if r.kind == "stale":
        if "max_age" in d:
            return (
                f"không nhận được số liệu mới trong hơn {d.get('max_age_vi', d['max_age'])}; "
                f"số liệu gần nhất: {d['last_vi']}.",
                f"no new data for more than {d.get('max_age_en', d['max_age'])}; last data: {d['last']}.",
            )
        return (
            f"chưa có số liệu kỳ {d['due']} (hạn báo cáo {d['deadline_vi']}); số liệu gần nhất: {d['last_vi']}.",
            f"no data for {d['due']} (due by {d['deadline']}); last data: {d['last']}.",
        )
    if r.kind == "sudden_drop":
        moved_vi, moved_en = ("giảm", "fell") if r.higher_is_better else ("tăng", "rose")
        measure_vi, measure_en = ("điểm", "score") if d.get("measure") == "score" else ("giá trị", "value")
        return (
            f"{measure_vi} {moved_vi} {d['drop']} trong {d['window']}: từ {ref_vi} còn {v_vi} "
            f"(ngưỡng {d['threshold']}).",
            f"the {measure_en} {moved_en} by {d['drop']} within {d['window']}: from {ref_en} to {v_en} "
            f"(threshold {d['threshold']}).",
        )
    return (
        f"đạt {v_vi}, thấp hơn mức {ref_vi} cần đạt vào ngày {d['date_vi']} trên lộ trình tới mục tiêu "
        f"{d['goal']} năm {d['goal_year']} ({d['goal_note']}).",
        f"{v_en}, below the {ref_en} needed by {d['date']} on the path to the goal of {d['goal']} in "
        f"{d['goal_year']} ({d['goal_note']}).",
    )


def _resolved_body(r: Reading) -> tuple[str, str]:
    if r.kind == "stale":
        return "đã có số liệu.", "data has arrived."
    if r.value is None:
        return "điều kiện cảnh báo không còn.", "the condition no longer holds."
    v_vi, v_en = fmt_vi(r.value, r.unit), fmt_en(r.value, r.unit)
    return f"đã trở lại bình thường, hiện đạt {v_vi}.", f"back to normal, now {v_en}."


def _summary(vi: str, en: str) -> dict[str, str]:
    """The one-line summary joined (Alertmanager, e-mail, webhooks) and its halves apart (the web page)."""
    return {"summary": bilingual.join(vi, en), "summary_vi": vi, "summary_en": en}


def render_annotations(r: Reading, severity: Severity, resolved: bool, rules_version: str) -> dict[str, str]:
    """summary (one line each language), description (a paragraph each), and the figures on their own."""
    head_vi, head_en = _head(r)
    body_vi, body_en = _resolved_body(r) if resolved else _firing_body(r)
    tag_vi = "ĐÃ KHẮC PHỤC" if resolved else _SEVERITY_VI[severity]
    tag_en = "RESOLVED" if resolved else severity.upper()
    owner_vi = f"Đơn vị phụ trách: {r.owner_name}."
    owner_en = f"Owner: {r.owner_name_en or r.owner_name}."
    out = {
        **_summary(
            f"[{tag_vi}] {_KIND_VI[r.kind]}: {r.name} — {r.org_unit_name}",
            f"[{tag_en}] {_KIND_EN[r.kind]}: {r.name_en or r.name} — {r.org_unit_name}",
        ),
        "description": f"[{tag_vi}] {head_vi}: {body_vi} {owner_vi} Chi tiết: {r.link}\n\n"
        f"[{tag_en}] {head_en}: {body_en} {owner_en} Details: {r.link}",
        "link": r.link,
        "owner": r.owner,
        "rules_version": rules_version,
    }
    if r.value is not None:
        out["value"] = f"{r.value:.6g}"
    if r.reference is not None:
        out["target"] = f"{r.reference:.6g}"
    if r.gap is not None:
        out["gap"] = f"{r.gap:.6g}"
    return out


DIGEST_FIRING = 30  # alerts listed in a digest; a digest stays readable (<= 60 lines) however many fire
DIGEST_RESOLVED = 15


def notification_text(
    receiver_name: str,
    receiver_name_en: str,
    lines_firing: list[str],
    lines_resolved: list[str],
    page: str = "",
) -> tuple[str, str]:
    """Subject and body of one grouped notification (e-mail), Vietnamese first: one line per alert (most
    severe first), at most DIGEST_FIRING firing and DIGEST_RESOLVED resolved, the rest counted with a link
    to the page that lists them all."""
    nf, nr = len(lines_firing), len(lines_resolved)
    subject = "[DTI] " + bilingual.join(
        f"{receiver_name}: {nf} cảnh báo, {nr} đã khắc phục",
        f"{receiver_name_en or receiver_name}: {nf} firing, {nr} resolved",
    )
    parts: list[str] = []
    for title, lines, cap in (
        ("ĐANG CẢNH BÁO / FIRING", lines_firing, DIGEST_FIRING),
        ("ĐÃ KHẮC PHỤC / RESOLVED", lines_resolved, DIGEST_RESOLVED),
    ):
        if not lines:
            continue
        parts.append(f"{title} ({len(lines)})")
        parts.extend(f"- {line}" for line in lines[:cap])
        if len(lines) > cap:
            more = len(lines) - cap
            where = page or bilingual.join("xem trang", "see the page")
            parts.append(f"- … {bilingual.join(f'và {more} cảnh báo khác', f'and {more} more')}: {where}")
        parts.append("")
    return subject, "\n".join(parts).rstrip("\n")


# ---------------------------------------------------------------- grouped alerts and sources
MEMBERS_SHOWN = 10  # members listed in a grouped alert's description; the rest are counted


def member_line(r: Reading, fields: Mapping[str, float]) -> tuple[str, str, float]:
    """One member of a grouped alert as a line (Vietnamese, English) and how bad it is (bigger = worse)."""
    u = r.unit
    who_vi = f"{r.org_unit_name} — {r.name}"
    who_en = f"{r.org_unit_name} — {r.name_en or r.name}"
    if r.kind == "stale":
        last = fields.get("last_data", 0.0)
        last_vi, last_en = r.details.get("last_vi", "chưa có"), r.details.get("last", "never")
        return f"{who_vi}: số liệu gần nhất {last_vi}", f"{who_en}: last data {last_en}", -last
    if r.kind == "sudden_drop":
        return (
            f"{who_vi}: từ {fmt_vi(r.reference, u)} còn {fmt_vi(r.value, u)}",
            f"{who_en}: from {fmt_en(r.reference, u)} to {fmt_en(r.value, u)}",
            fields.get("drop", 0.0),
        )
    gap = r.gap or 0.0
    rank = gap / abs(r.reference) if r.reference else gap
    word_vi = "chỉ tiêu" if r.kind == "below_target" else "lộ trình"
    word_en = "target" if r.kind == "below_target" else "path"
    return (
        f"{who_vi}: đạt {fmt_vi(r.value, u)}, {word_vi} {fmt_vi(r.reference, u)}",
        f"{who_en}: {fmt_en(r.value, u)}, {word_en} {fmt_en(r.reference, u)}",
        rank,
    )


def _indicators(members: Sequence[Mapping[str, str]]) -> tuple[str, str, str]:
    """The distinct indicators of a group with their frameworks: names in Vietnamese and English, and codes."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for m in members:
        seen.setdefault((m["framework"], m["indicator"]), (m["name"], m.get("name_en") or m["name"]))
    names_vi = sorted({n for n, _ in seen.values()})
    names_en = sorted({e for _, e in seen.values()})
    codes = ", ".join(f"{fw}: {code}" for fw, code in sorted(seen))
    return "; ".join(names_vi[:3]), "; ".join(names_en[:3]), codes


_STALE_VI = {"periodic": "chưa nộp báo cáo định kỳ", "continuous": "không nhận được số liệu mới"}
_STALE_EN = {"periodic": "periodic reports missing", "continuous": "no new data"}


def render_group(
    kind: Kind,
    severity: Severity,
    members: Sequence[Mapping[str, str]],
    resolved: bool,
    rules_version: str,
    link: str,
    reports: str = "all",
) -> dict[str, str]:
    """A grouped alert: what, how many units, the worst first (at most MEMBERS_SHOWN), its frameworks.
    `reports` words a stale group: a duty (periodic reports missing) or a feed (no new data)."""
    tag_vi = "ĐÃ KHẮC PHỤC" if resolved else _SEVERITY_VI[severity]
    tag_en = "RESOLVED" if resolved else severity.upper()
    units = sorted({m["org_unit"] for m in members})
    frameworks = sorted({m["framework"] for m in members})
    what_vi, what_en, codes = _indicators(members)
    n = len(units)
    kind_vi = _STALE_VI.get(reports, _KIND_VI[kind]) if kind == "stale" else _KIND_VI[kind]
    kind_en = _STALE_EN.get(reports, _KIND_EN[kind]) if kind == "stale" else _KIND_EN[kind]
    head_vi = f"{kind_vi}: {what_vi} — {n} đơn vị"
    head_en = f"{kind_en}: {what_en} — {n} unit{'s' if n != 1 else ''}"
    # the same unit and indicator read the same in both frameworks: one line for both
    lines: dict[tuple[str, str], tuple[str, str]] = {}
    for m in members:
        lines.setdefault((m["org_unit"], m["vi"]), (m["vi"], m["en"]))
    shown = list(lines.values())
    if resolved:
        body_vi, body_en = ["Đã trở lại bình thường."], ["Back to normal."]
    else:
        body_vi = [f"- {vi}" for vi, _ in shown[:MEMBERS_SHOWN]]
        body_en = [f"- {en}" for _, en in shown[:MEMBERS_SHOWN]]
        if len(shown) > MEMBERS_SHOWN:
            body_vi.append(f"- … và {len(shown) - MEMBERS_SHOWN} mục khác")
            body_en.append(f"- … and {len(shown) - MEMBERS_SHOWN} more")
    fws = ", ".join(frameworks)
    return {
        **_summary(f"[{tag_vi}] {head_vi}", f"[{tag_en}] {head_en}"),
        "description": "\n".join(
            [f"[{tag_vi}] {head_vi} (bộ chỉ số {fws}):", *body_vi, f"Chi tiết: {link}", ""]
            + [f"[{tag_en}] {head_en} (framework {fws}):", *body_en, f"Details: {link}"]
        ),
        "link": link,
        "frameworks": fws,
        "indicators": codes,
        "units": str(n),
        "rules_version": rules_version,
    }


def render_source(
    name: str,
    name_en: str,
    owner_name: str,
    owner_name_en: str,
    last: float,
    silence: tuple[str, str],
    severity: Severity,
    resolved: bool,
    rules_version: str,
    link: str,
) -> dict[str, str]:
    """A silent system, named as a system: "LGSP không gửi số liệu từ …", to its operators and owner."""
    tag_vi = "ĐÃ KHẮC PHỤC" if resolved else _SEVERITY_VI[severity]
    tag_en = "RESOLVED" if resolved else severity.upper()
    when = datetime.fromtimestamp(last, PROVINCE_TZ).date() if last > 0 else None
    since_vi = f"từ {date_vi(when)}" if when else "từ khi khởi động"
    since_en = f"since {when.isoformat()}" if when else "since start"
    if resolved:
        vi, en = f"{name} đã gửi số liệu trở lại.", f"{name_en} is sending data again."
    else:
        vi = f"{name} không gửi số liệu {since_vi} (quá {silence[0]})."
        en = f"{name_en} has sent no data {since_en} (more than {silence[1]})."
    return {
        **_summary(f"[{tag_vi}] {vi}", f"[{tag_en}] {en}"),
        "description": f"[{tag_vi}] {vi} Đơn vị vận hành: {owner_name}. Chi tiết: {link}\n\n"
        f"[{tag_en}] {en} Run by: {owner_name_en}. Details: {link}",
        "link": link,
        "rules_version": rules_version,
    }
