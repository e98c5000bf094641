"""Human-readable account of an indicator, for `dti rules explain` and the API."""

from __future__ import annotations

from shared.rules.model import (
    Curve,
    Formula,
    Framework,
    Indicator,
    Latest,
    Linear,
    PerCapita,
    Ratio,
    RatioToTarget,
    RuleSet,
    ShareOfUnits,
    Steps,
    Sum,
)
from shared.scoring.targets import target_for


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value * 100:.4g}%"
    return f"{value:.6g}"


def describe_formula(f: Formula) -> str:
    if isinstance(f, Ratio):
        s = f"{f.numerator} / {f.denominator}"
    elif isinstance(f, Sum):
        s = " + ".join(f.terms)
    elif isinstance(f, Latest):
        s = f"latest({f.metric})"
    elif isinstance(f, PerCapita):
        s = f"{f.metric} / {f.per}"
    else:
        assert isinstance(f, ShareOfUnits)
        s = f"share of {f.level} units with {f.metric} {f.op} {f.threshold:g}"
    return s if f.scale == 1.0 else f"({s}) × {f.scale:g}"


def describe_curve(c: Curve, unit: str) -> str:
    if isinstance(c, Linear):
        return f"linear from {fmt_value(c.floor, unit)} (score 0) to the target (score 1) / tuyến tính"
    if isinstance(c, RatioToTarget):
        return "value ÷ target, capped at 1 / tỷ lệ so với chỉ tiêu"
    if isinstance(c, Steps):
        word = "≤" if c.upper_bounds else "≥"
        bands = ", ".join(f"{word} {fmt_value(b, unit)} → {s:g}" for b, s in c.bands)
        return f"steps / bậc thang: {bands}"
    return "yes/no / có-không"


def explain_indicator(rs: RuleSet, fw: Framework, ind: Indicator) -> str:
    cat = rs.catalog
    owner = cat.departments.get(ind.owner)
    main = fw.main_indicators[ind.main]
    lines = [
        f"{ind.code} — {ind.name}",
        f"  ({ind.name_en})",
        f"  Bộ chỉ số / framework: {fw.code} — {fw.name}",
        f"  Chỉ số chính / main indicator: {main.code} — {main.name} ({main.name_en})",
        f"  Công thức / formula: {describe_formula(ind.formula)}",
    ]
    for m in dict.fromkeys(ind.formula.metrics):
        metric = cat.metrics[m]
        lines.append(f"      {m}: {metric.name} / {metric.name_en} [{metric.type}, {metric.unit}]")
    lines += [
        f"  Đơn vị / unit: {ind.unit}; chiều / direction: "
        + (
            "càng cao càng tốt / higher is better"
            if ind.direction == "higher"
            else "càng thấp càng tốt / lower is better"
        ),
        f"  Thang điểm / curve: {describe_curve(ind.curve, ind.unit)}",
        f"  Điểm tối đa / points: {ind.points:g} (of {main.points:g} for {main.code})",
        f"  Đơn vị chủ trì / owner: {ind.owner}" + (f" — {owner.name} ({owner.name_en})" if owner else ""),
        f"  Báo cáo / reporting: {ind.reporting.frequency}"
        + (
            f", {ind.reporting.deadline_days} days after the period / ngày sau kỳ"
            if ind.reporting.deadline_days
            else ""
        ),
        "  Chính thức / official: "
        + ("có / yes" if ind.official else "không — lựa chọn của tỉnh / no, the province's own choice"),
    ]
    if ind.baseline is not None:
        b = ", ".join(f"{lv} {fmt_value(v, ind.unit)}" for lv, v in sorted(ind.baseline.by_level.items()))
        lines.append(f"  Mốc cơ sở / baseline {ind.baseline.year}: {b}")
    lines.append("  Chỉ tiêu / targets:")
    for level in rs.org_tree.levels:
        if level not in ind.levels or level not in ind.targets:
            continue
        declared = ", ".join(f"{y}: {fmt_value(t, ind.unit)}" for y, t in ind.targets[level])
        lines.append(f"    {level}: {declared}")
        years = range(fw.years[0], fw.years[1] + 1)
        lines.append("      " + ", ".join(f"{y} {fmt_value(target_for(ind, level, y), ind.unit)}" for y in years))
    return "\n".join(lines)
