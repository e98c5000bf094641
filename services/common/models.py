"""The shapes the API answers, as pydantic models, for the OpenAPI document (services/common/openapi.py).

They document; they do not filter: the handlers return plain dicts, and these models are attached to the
spec's responses, not used as FastAPI `response_model`s, so a field added to a handler's answer is never
silently dropped (each model admits more properties than it lists). The schemathesis tests check every
answer against them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

# --- errors ------------------------------------------------------------------------------------------------


class FieldProblem(BaseModel):
    """One refused item: a JSON pointer (JSON bodies, query parameters) or a row and column (sheets)."""

    pointer: str | None = Field(default=None, description="JSON pointer, e.g. /events/3/value")
    index: int | None = Field(default=None, description="the item's position in a batch")
    code: str | None = Field(default=None, description="machine-readable reason, e.g. float_type, unknown_org_unit")
    row: int | None = Field(default=None, description="sheet uploads: the row (1 is the header)")
    column: str | None = Field(default=None, description="sheet uploads: the column letter")
    field: str | None = None
    message: str = Field(description="Vietnamese, then English")
    message_vi: str | None = None
    message_en: str | None = None


class ErrorDetail(BaseModel):
    message: str = Field(description="Vietnamese / English")
    message_vi: str | None = None
    message_en: str | None = None
    errors: list[FieldProblem] | None = Field(default=None, description="every problem found, each located")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of every service. Some carry more keys in `detail` (`limit_bytes`,
    `limit_events` with 413; `problems` and `version` when a rules reload is refused)."""

    detail: ErrorDetail


# --- ingest and operations ---------------------------------------------------------------------------------


class AcceptedOut(BaseModel):
    accepted: int = Field(description="items stored by this request")
    duplicates: int = Field(description="items already stored before (same event id, or the same figure)")


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str = Field(description="ready, or starting (with 503)")
    rules_version: str | None = None


# --- scores ------------------------------------------------------------------------------------------------


class CompositeOut(BaseModel):
    code: str
    name: str
    name_en: str
    value: float | None = Field(description="0..1; null without data")
    status: str
    coverage: float | None
    missing: list[str]


class GoalOut(BaseModel):
    year: int | None
    value: float | None
    note: str


class IndexOut(CompositeOut):
    points: float | None = Field(description="value × the framework's scale")
    goal: GoalOut | None


class TrajectoryOut(BaseModel):
    expected: float | None
    as_of: str
    status: str | None


class ReportingOut(BaseModel):
    frequency: str
    deadline_days: int


class IndicatorOut(BaseModel):
    code: str
    name: str
    name_en: str
    main: str
    unit: str
    direction: str
    official: bool
    owner: str
    value: float | None
    target: float | None
    score: float | None
    points: float
    earned: float | None
    status: str
    reason: str | None = Field(description="why there is no value: Vietnamese / English, as reason_vi and reason_en")
    reason_vi: str | None = None
    reason_en: str | None = None
    trajectory: TrajectoryOut | None
    reporting: ReportingOut


class MainIndicatorOut(CompositeOut):
    points: float
    earned: float | None
    owner: str | None
    indicators: list[IndicatorOut]


class FrameworkRef(BaseModel):
    code: str
    name: str
    name_en: str
    scale: float


class UnitRef(BaseModel):
    code: str
    name: str
    level: str


class ScoreTree(BaseModel):
    """An org unit's DTI, pillars, main and component indicators for a period."""

    framework: FrameworkRef
    org_unit: UnitRef
    period: str
    rules_version: str
    as_of: str
    index: IndexOut
    pillars: list[CompositeOut]
    main_indicators: list[MainIndicatorOut]
    frameworks: list[str]


class UnitRow(BaseModel):
    code: str
    name: str
    index: float | None
    index_status: str
    pillars: dict[str, float | None]
    main_indicators: dict[str, float | None]


class UnitScores(BaseModel):
    framework: str
    period: str
    level: str
    rules_version: str
    units: list[UnitRow]


class GapIndicatorOut(IndicatorOut):
    gain_points: float = Field(description="index points gained by reaching the target")


class DepartmentGap(BaseModel):
    code: str
    name: str
    name_en: str
    gain_points: float
    indicators: list[GapIndicatorOut]


class Gaps(BaseModel):
    framework: str
    org_unit: str
    period: str
    rules_version: str
    scale: float
    indicators: list[GapIndicatorOut]
    departments: list[DepartmentGap]


class MetricValues(BaseModel):
    org_unit: str
    period: str
    rules_version: str
    values: dict[str, float] = Field(description="metric code -> year-to-date value, rolled up")


# --- org units, rules, catalogue ---------------------------------------------------------------------------


class OrgUnitOut(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    population: float | None
    households: float | None


class OrgUnits(BaseModel):
    name: str
    levels: list[str]
    rules_version: str
    units: list[OrgUnitOut]


class RulesFile(BaseModel):
    path: str
    sha256: str


class FrameworkSummary(BaseModel):
    code: str
    name: str
    name_en: str
    scale: float
    years: list[int]
    indicators: int


class RulesError(BaseModel):
    problems: list[str]
    at: str


class RulesInfo(BaseModel):
    version: str
    loaded_at: str
    files: list[RulesFile]
    frameworks: list[FrameworkSummary]
    last_error: RulesError | None = Field(description="why the last edit was refused, if it was")


class Reloaded(BaseModel):
    version: str
    reloaded: bool


class CatalogMetric(BaseModel):
    code: str
    name: str
    name_en: str
    type: str = Field(description="counter: events add a delta (>= 0); gauge: events set a level")
    unit: str
    rollup: str = Field(description="sum: a parent's value adds its children's; none: only its own reports")
    levels: list[str] = Field(description="org-unit levels whose indicators read this metric")
    sources: list[str] = Field(description="sources whose keys may send it")


class CatalogSource(BaseModel):
    code: str
    metrics: list[str] = Field(description="the metrics a key of this source may send")


class CatalogDepartment(BaseModel):
    code: str
    name: str
    name_en: str


class Catalog(BaseModel):
    """What may be sent: every metric (Vietnamese and English name, unit, kind, levels), every source and
    which source may send which metric — from rules/catalog.yaml as loaded."""

    rules_version: str
    metrics: list[CatalogMetric]
    sources: list[CatalogSource]
    departments: list[CatalogDepartment]
