"""What the simulated province looks like: how digital each unit is relative to the province, how much
work it handles, and how every metric of the catalogue moves as the province becomes more digital.

Maturity `m` runs from 0 (nothing digital) to 1 (every target reached and beyond); `model.py` calibrates the
province's maturity so that the scored DTI starts at the known baseline. Figures below are plausible
magnitudes for Lai Châu (about 512,000 people, 8 districts, 106 communes), not measurements: they only need
to look like a province and move the right way. Metrics a rules file adds later are simulated from their
indicator's targets (see `model.fallback_model`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

BASELINE_DTI = 0.5032  # Lai Châu, 2022 (rank 53/63): where the simulated province starts by default

# ---------------------------------------------------------------- units
# How far ahead (+) or behind (-) of the province each former district of Lai Châu is, in maturity. The
# city (the provincial capital) leads; the remote border districts of Mường Tè, Nậm Nhùn and Sìn Hồ, with
# the weakest networks and the largest share of ethnic-minority communes far from the centre, trail.
# Codes missing here get an offset from their name (wards and towns ahead) and a small stable jitter.
UNIT_OFFSETS: dict[str, float] = {
    "LC": 0.10,  # the provincial departments themselves
    "LC.TPLAICHAU": 0.22,
    "LC.TAMDUONG": 0.04,
    "LC.THANUYEN": 0.05,
    "LC.TANUYEN": 0.0,
    "LC.PHONGTHO": -0.04,
    "LC.SINHO": -0.08,
    "LC.NAMNHUN": -0.10,
    "LC.MUONGTE": -0.14,
}
URBAN_PREFIXES = {"Thành phố": 0.12, "Phường": 0.10, "Thị xã": 0.08, "Thị trấn": 0.06}
JITTER = 0.04


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) fixed by the strings alone (the province's structure, not the run's seed)."""
    digest = hashlib.blake2b("|".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def own_offset(code: str, name: str, is_root: bool) -> float:
    """A unit's own offset; a unit's maturity adds the offsets of its ancestors below the root."""
    if code in UNIT_OFFSETS:
        return UNIT_OFFSETS[code]
    if is_root:
        return 0.10
    urban = next((v for prefix, v in URBAN_PREFIXES.items() if name.startswith(prefix)), 0.0)
    return urban + JITTER * (2 * stable_fraction("offset", code) - 1)


def volume_factor(name: str) -> float:
    """Towns and wards handle more than rural communes."""
    if name.startswith(("Thành phố", "Phường", "Thị xã")):
        return 2.0
    if name.startswith("Thị trấn"):
        return 1.5
    return 1.0


# Mean volume on a working day, by position in the tree: (top, middle, bottom) level.
RECORDS_PER_DAY = (120.0, 25.0, 8.0)  # administrative procedure records (hồ sơ TTHC)
DOCUMENTS_PER_DAY = (400.0, 60.0, 12.0)  # documents sent and received (văn bản đi, đến)
WORK_RECORDS_PER_DAY = (100.0, 20.0, 4.0)  # work records (hồ sơ công việc)
FEE_SHARE = 0.4  # records that carry a fee


@dataclass(frozen=True, slots=True)
class Span:
    """A share that moves from `lo` at maturity 0 to `hi` at maturity 1."""

    lo: float
    hi: float

    def at(self, m: float) -> float:
        return self.lo + (self.hi - self.lo) * m


# How the systems' flows look at each maturity.
ONLINE = Span(0.02, 0.95)  # records filed online
FULLY_ONLINE = Span(0.10, 0.95)  # of online records, processed end to end online
ON_TIME = Span(0.85, 1.0)  # resolved records resolved on time
DESK_CASHLESS = Span(0.01, 0.85)  # fees paid at the desk without cash (fees paid online are cashless)
WORK_ONLINE = Span(0.05, 1.0)  # work records processed online
ELECTRONIC = Span(0.40, 1.0)  # documents sent and received electronically
SIGNED = Span(0.20, 1.0)  # of electronic documents, digitally signed
RESOLVE_DAYS = 3.0  # mean days from filing to resolution


# ---------------------------------------------------------------- metric models
@dataclass(frozen=True, slots=True)
class Size:
    """A quantity that does not depend on maturity: the province's total, split over the reporting units by
    how many bottom-level units each covers."""

    total: float


@dataclass(frozen=True, slots=True)
class Share:
    """Part of another metric's value: `of` × (lo … hi)."""

    of: str
    span: Span


@dataclass(frozen=True, slots=True)
class Level:
    """A level from `lo` to `hi` (a count, a percentage, a rank), rounded to `digits`."""

    span: Span
    digits: int = 0


@dataclass(frozen=True, slots=True)
class PerHead:
    """A share of the unit's population or households."""

    per: Literal["population", "households"]
    span: Span


@dataclass(frozen=True, slots=True)
class YesNo:
    """1 once the unit's maturity reaches its threshold; thresholds are spread over lo … hi by unit."""

    lo: float
    hi: float


@dataclass(frozen=True, slots=True)
class PerYear:
    """A counter reported each quarter: lo … hi a year, in the given quarters (random: Poisson counts)."""

    span: Span
    quarters: tuple[int, ...] = (1, 2, 3, 4)
    random: bool = False


@dataclass(frozen=True, slots=True)
class PartOf:
    """A counter counting some of another PerYear counter's occurrences (binomial)."""

    of: str
    span: Span


GaugeModel = Size | Share | Level | PerHead | YesNo
CounterModel = PerYear | PartOf
Model = GaugeModel | CounterModel


@dataclass(frozen=True, slots=True)
class MetricSpec:
    model: Model
    source: str  # the system that reports it (another allowed source is used when the rules say otherwise)
    # quarterly: the department's observations after each quarter; monthly: the system sends the level at
    # the start of each month; daily: events each working day
    cadence: Literal["quarterly", "monthly", "daily"] = "quarterly"
    bottom: bool = False  # reported by every bottom-level unit (else: at the levels the indicators read)


MONTHLY: Literal["monthly"] = "monthly"
DEPT = "department"
METRICS: dict[str, MetricSpec] = {
    # public services catalogue (the online public-service portal)
    "tthc.procedures_total": MetricSpec(Size(1900), "egov-portal", MONTHLY),
    "tthc.procedures_full_multichannel": MetricSpec(
        Share("tthc.procedures_total", Span(0.05, 1.0)), "egov-portal", MONTHLY
    ),
    # reporting system: every bottom-level unit must report; those that do so through the system
    "report.units_total": MetricSpec(Level(Span(1, 1)), "reporting", MONTHLY, bottom=True),
    "report.units_reporting_via_system": MetricSpec(YesNo(0.15, 0.75), "reporting", MONTHLY, bottom=True),
    # LGSP
    "lgsp.systems_total": MetricSpec(Size(20), "lgsp", MONTHLY),
    "lgsp.systems_connected": MetricSpec(Share("lgsp.systems_total", Span(0.0, 1.0)), "lgsp", MONTHLY),
    # infrastructure
    "infra.commune_network_video": MetricSpec(YesNo(0.1, 0.8), DEPT),
    "infra.commune_fibre": MetricSpec(YesNo(0.0, 0.6), DEPT),
    "infra.households_fibre": MetricSpec(PerHead("households", Span(0.10, 1.0)), DEPT),
    "infra.villages_total": MetricSpec(Size(1109), DEPT),
    "infra.villages_mobile_broadband": MetricSpec(Share("infra.villages_total", Span(0.6, 1.0)), DEPT),
    # inspections (counted each quarter)
    "inspection.total": MetricSpec(PerYear(Span(12, 12), random=True), DEPT),
    "inspection.digital": MetricSpec(PartOf("inspection.total", Span(0.0, 0.9)), DEPT),
    # digital economy
    "economy.digital_share_grdp": MetricSpec(Level(Span(1.5, 15.0), 1), DEPT),
    "economy.sectors_total": MetricSpec(Size(12), DEPT),
    "economy.sectors_digital_share_10": MetricSpec(Share("economy.sectors_total", Span(0.0, 1.0)), DEPT),
    "economy.labour_productivity_growth": MetricSpec(Level(Span(2.0, 12.0), 1), DEPT),
    "economy.digital_tech_enterprises": MetricSpec(Level(Span(0, 6)), DEPT),
    "economy.enterprises_total": MetricSpec(Size(1400), DEPT),
    "economy.enterprises_einvoice": MetricSpec(Share("economy.enterprises_total", Span(0.6, 1.0)), DEPT),
    "economy.enterprises_ecommerce": MetricSpec(Share("economy.enterprises_total", Span(0.02, 0.6)), DEPT),
    "economy.ecommerce_share_retail": MetricSpec(Level(Span(0.5, 15.0), 1), DEPT),
    # digital society
    "population.epayment_accounts": MetricSpec(PerHead("population", Span(0.10, 0.75)), "payment", MONTHLY),
    "population.adults_total": MetricSpec(PerHead("population", Span(0.68, 0.68)), DEPT),
    "population.adults_smartphone": MetricSpec(Share("population.adults_total", Span(0.35, 0.98)), DEPT),
    "population.health_records": MetricSpec(PerHead("population", Span(0.0, 0.95)), DEPT),
    "population.working_age": MetricSpec(PerHead("population", Span(0.62, 0.62)), DEPT),
    "population.digital_skills_trained": MetricSpec(Share("population.working_age", Span(0.05, 0.9)), DEPT),
    "population.vneid_activated": MetricSpec(Share("population.adults_total", Span(0.05, 0.95)), DEPT),
    "health.facilities_total": MetricSpec(Size(160), DEPT),
    "health.facilities_telemedicine": MetricSpec(Share("health.facilities_total", Span(0.05, 1.0)), DEPT),
    "education.schools_total": MetricSpec(Size(400), DEPT),
    "education.schools_remote_teaching": MetricSpec(Share("education.schools_total", Span(0.1, 1.0)), DEPT),
    # awareness
    "awareness.steering_meetings": MetricSpec(PerYear(Span(1, 4)), DEPT),
    "awareness.dx_articles": MetricSpec(PerYear(Span(60, 400), random=True), "reporting", "daily"),
    "awareness.community_teams": MetricSpec(Share("infra.villages_total", Span(0.5, 1.0)), DEPT),
    "awareness.community_team_members": MetricSpec(Level(Span(12000, 23000)), DEPT),
    # institutions
    "institutions.annual_plan_issued": MetricSpec(YesNo(0.0, 0.35), DEPT),
    # yes/no milestones of the province (whose own maturity is the province's + 0.10) are spread out so
    # that they are still "no" at the 2022 baseline (as dti-2022.yaml assumes) and flip one by one
    "institutions.architecture_updated": MetricSpec(YesNo(0.55, 0.55), DEPT),
    "institutions.dx_budget_share": MetricSpec(Level(Span(0.2, 3.0), 2), DEPT),
    "institutions.data_catalogue_published": MetricSpec(YesNo(0.6, 0.6), DEPT),
    # human resources
    "hr.officials_total": MetricSpec(Size(11000), DEPT),
    "hr.officials_trained": MetricSpec(Share("hr.officials_total", Span(0.2, 1.0)), DEPT),
    "hr.it_specialists": MetricSpec(Level(Span(20, 110)), DEPT),
    # cybersecurity
    "security.systems_total": MetricSpec(Size(30), DEPT),
    "security.systems_level_approved": MetricSpec(Share("security.systems_total", Span(0.2, 1.0)), DEPT),
    "security.soc_connected": MetricSpec(YesNo(0.65, 0.65), DEPT),
    "security.drills": MetricSpec(PerYear(Span(0.5, 2.5), quarters=(2, 4)), DEPT),
    "security.incidents": MetricSpec(PerYear(Span(8, 0), random=True), DEPT),
    # smart city
    "smartcity.ioc_operational": MetricSpec(YesNo(0.75, 0.75), DEPT),
    "smartcity.services": MetricSpec(Level(Span(0, 10)), DEPT),
}

# Counters the systems feed event by event (the flows), with the system that sends each.
FLOW_SOURCES: dict[str, tuple[str, ...]] = {
    "tthc.records_total": ("egov-portal", "lgsp"),  # online records from the portal, desk records via LGSP
    "tthc.records_online": ("egov-portal",),
    "tthc.records_fully_online": ("egov-portal",),
    "tthc.records_resolved": ("lgsp",),
    "tthc.records_on_time": ("lgsp",),
    "payment.fees_total": ("egov-portal", "payment"),  # paid online on the portal, or at the desk
    "payment.fees_cashless": ("egov-portal", "payment"),
    "work.records_total": ("eoffice",),
    "work.records_online": ("eoffice",),
    "edoc.documents_total": ("eoffice",),
    "edoc.documents_electronic": ("eoffice",),
    "edoc.documents_signed": ("eoffice",),
}
