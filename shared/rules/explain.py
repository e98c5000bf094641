"""Human-readable account of an indicator, for `dti rules explain` and the API."""

from __future__ import annotations

from shared import bilingual
from shared.rules.model import Curve, Formula, Framework, Indicator, RuleSet
from shared.rules.quantities import fmt_value as fmt_value
from shared.scoring.targets import target_for


def describe_formula(f: Formula) -> str:
    return f.describe()


def describe_curve(c: Curve, unit: str) -> str:
    return c.describe(unit)


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
        lines.append(f"      {m}: {bilingual.join(metric.name, metric.name_en)} [{metric.type}, {metric.unit}]")
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
            ", " + bilingual.join(f"{days} ngày sau kỳ", f"{days} days after the period")
            if (days := ind.reporting.deadline_days)
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
