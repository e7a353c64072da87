"""Every setting of an analysis run, in one place: ``AnalysisConfig`` and the settings it holds
(``RFGConfig``: the RFGV score's window and bands; ``SelectionCriteria``: who is proposed).

Each is a frozen dataclass that checks itself when made and round-trips through ``as_dict`` /
``from_dict``, so a run's settings are saved with it and any figure can be reproduced.  The
analysis modules take these settings; none of them is imported back from the pipeline.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, time
from typing import Any

from deter.analysis.harm_tables import DEFAULT_TABLE

DEFAULT_TIMEZONE = "Europe/London"
COMBINE_RULES = ("all", "any")
Bands = tuple[tuple[float, float], ...]


def to_utc(moment: datetime | date | None) -> datetime | None:
    """A UTC-aware datetime (naive values are taken as UTC; a date as its midnight)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(), tzinfo=UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class RFGConfig:
    """Bands are (threshold, points) pairs with thresholds strictly increasing.

    ``recency_bands``: (max_days, points), the first band the latest offence's age fits;
    the others: (minimum, points), the highest band reached.
    """

    window_days: int = 730
    recency_bands: Bands = ((30, 5), (91, 4), (182, 3), (365, 2), (730, 1))
    frequency_bands: Bands = ((1, 1), (2, 2), (3, 3), (5, 4), (8, 5))
    gravity_bands: Bands = ((1, 1), (10, 2), (180, 3), (365, 4), (1825, 5))
    victim_bands: Bands = ((1, 1), (2, 2), (3, 3), (4, 4), (5, 5))

    def __post_init__(self) -> None:
        if not isinstance(self.window_days, int) or self.window_days <= 0:
            raise ValueError("rfg.window_days must be a positive whole number of days")
        for name in ("recency_bands", "frequency_bands", "gravity_bands", "victim_bands"):
            object.__setattr__(self, name, _check_bands(name, getattr(self, name)))

    def as_dict(self) -> dict[str, Any]:
        return {
            key: [list(band) for band in value] if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RFGConfig:
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"rfg: unknown settings {sorted(unknown)}")
        return cls(**values)


def _check_bands(name: str, bands: Sequence[Sequence[float]]) -> Bands:
    where = f"rfg.{name}"
    try:
        pairs = tuple((float(threshold), float(points)) for threshold, points in bands)
    except (TypeError, ValueError):
        raise ValueError(f"{where} must be (threshold, points) pairs of numbers") from None
    if not pairs:
        raise ValueError(f"{where} needs at least one band")
    thresholds = [threshold for threshold, _ in pairs]
    if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
        raise ValueError(f"{where}: thresholds must increase strictly, got {thresholds}")
    if any(threshold < 0 for threshold in thresholds):
        raise ValueError(f"{where}: thresholds must not be negative")
    if any(not points >= 0 for _, points in pairs):
        raise ValueError(f"{where}: points must not be negative")
    return pairs


@dataclass(frozen=True)
class SelectionCriteria:
    violent_within_days: int | None = 730
    min_violent_offences: int = 1
    min_harm_score: float | None = 365.0
    min_rfgv_score: float | None = None
    combine: str = "all"  # "all": meet every criterion that is on; "any": at least one

    def __post_init__(self) -> None:
        days = self.violent_within_days
        if days is not None and (not isinstance(days, int) or days <= 0):
            raise ValueError("criteria.violent_within_days must be a positive number of days")
        if not isinstance(self.min_violent_offences, int) or self.min_violent_offences < 1:
            raise ValueError("criteria.min_violent_offences must be at least 1")
        for name in ("min_harm_score", "min_rfgv_score"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"criteria.{name} must be a number of at least 0, or None")
        if self.combine not in COMBINE_RULES:
            raise ValueError(f"criteria.combine must be one of {', '.join(COMBINE_RULES)}")
        if days is None and self.min_harm_score is None and self.min_rfgv_score is None:
            raise ValueError("criteria: at least one selection criterion must be set")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SelectionCriteria:
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"criteria: unknown settings {sorted(unknown)}")
        return cls(**values)

    def names(self, unit: str) -> list[str]:
        """The readable name of each criterion that is on (no commas: they are joined by one)."""
        names = []
        if self.violent_within_days is not None:
            count = self.min_violent_offences
            what = "violent offence" if count == 1 else f"{count} violent offences"
            names.append(f"{what} in {_period(self.violent_within_days)}")
        if self.min_harm_score is not None:
            names.append(f"harm >= {_number(self.min_harm_score)} {unit}")
        if self.min_rfgv_score is not None:
            names.append(f"RFGV >= {_number(self.min_rfgv_score)}")
        return [name.replace(",", "") for name in names]

    def describe(self, unit: str) -> str:
        rule = "all" if self.combine == "all" else "at least one"
        return f"Proposed when meeting {rule} of: {'; '.join(self.names(unit))}."


def _period(days: int) -> str:
    return f"{days // 365 * 12} months" if days % 365 == 0 else f"{days} days"


def _number(value: float) -> str:
    return f"{value:.10g}"


@dataclass(frozen=True)
class AnalysisConfig:
    as_of: datetime | None = None  # default: the latest event in the extract
    window_days: int = 3 * 365  # events older than this on as_of are ignored
    half_life_days: float = 365.0  # recency decay: 0.5 ** (age_days / half_life_days)
    resolution: float = 1.0  # Leiden resolution (modularity objective)
    seed: int = 1
    # edge weight per association kind (1.0 for a kind not listed); "co-offending" scales the
    # co-offending edges, whose weight is otherwise the number of shared events
    association_weights: Mapping[str, float] = field(default_factory=dict)
    min_group_size: int = 3  # smaller communities are reported as no group
    # a larger community is split again by Leiden on its own; one that cannot be split below
    # this is a loose network of co-offenders, not a group, and is reported as such
    max_group_size: int = 100
    # Leiden iterations (igraph's default, 2): on the synthetic force, 2 finds groups as well as
    # running until no iteration improves (-1): modularity 0.787 against 0.785, planted groups
    # recovered with ARI 0.81 against 0.80, in a fifth of the time (1 s against 5 s); -1 stays
    # available for a small network
    leiden_iterations: int = 2
    # the harm table: "cchi-2026", "ons-css:<file.csv>" or a CSV file (deter.analysis.harm_tables)
    harm_table: str = DEFAULT_TABLE
    rfg: RFGConfig = field(default_factory=RFGConfig)  # the RFGV score's window and bands
    criteria: SelectionCriteria = field(default_factory=SelectionCriteria)  # who is proposed
    cell_metres: float = 250.0  # hotspot grid cell side (British National Grid squares in GB)
    # LSOA residents (a CSV: lsoa_code,population, or the 2011 Census LSOA file) for events and
    # harm per 1,000 residents of each LSOA (deter.analysis.places.read_lsoa_population)
    population_table: str | None = None
    timezone: str = DEFAULT_TIMEZONE  # local time for hour-of-week patterns and months
    # groups are found again with this many seeds in all (the configured one first) to report
    # their stability; each extra seed costs one more Leiden run
    stability_seeds: int = 3
    # betweenness is exact up to this many people in linked components, else estimated from
    # betweenness_samples random sources (deter.analysis.keyplayers)
    betweenness_exact_max: int = 5_000
    betweenness_samples: int = 256
    exposure_days: int = 365  # violence this recent counts towards network exposure
    at_risk_min_exposure: float = 3.0  # exposure score from which a person is flagged at risk
    # the disruption analysis removes this many brokers (highest betweenness), at once and one
    # at a time, and follows the largest component (deter.analysis.disruption); 0 = none
    disruption_top: int = 5
    # recorded association links of these kinds between members of two groups count as
    # evidence of an alliance between them (deter.analysis.relations); co-offending always does
    alliance_association_kinds: tuple[str, ...] = ("meeting", "summit", "alliance")

    def __post_init__(self) -> None:
        if self.window_days <= 0:
            raise ValueError("window_days must be positive")
        if not self.half_life_days > 0:
            raise ValueError("half_life_days must be positive")
        if not self.resolution > 0:
            raise ValueError("resolution must be positive")
        if self.min_group_size < 1:
            raise ValueError("min_group_size must be at least 1")
        if self.max_group_size < self.min_group_size:
            raise ValueError("max_group_size must be at least min_group_size")
        if self.leiden_iterations == 0 or self.leiden_iterations < -1:
            raise ValueError("leiden_iterations must be -1 (until stable) or positive")
        negative = [kind for kind, weight in self.association_weights.items() if weight < 0]
        if negative:
            raise ValueError(f"association weights must not be negative: {negative}")
        if not isinstance(self.harm_table, str) or not self.harm_table.strip():
            raise ValueError("harm_table must name a built-in table or a CSV file")
        if not isinstance(self.rfg, RFGConfig):
            raise ValueError("rfg must be an RFGConfig")
        if not isinstance(self.criteria, SelectionCriteria):
            raise ValueError("criteria must be a SelectionCriteria")
        if self.population_table is not None and not str(self.population_table).strip():
            raise ValueError("population_table must name a CSV file, or be None")
        if not self.cell_metres > 0:
            raise ValueError("cell_metres must be positive")
        if self.stability_seeds < 1:
            raise ValueError("stability_seeds must be at least 1 (1 = do not measure stability)")
        if self.betweenness_samples < 1 or self.betweenness_exact_max < 0:
            raise ValueError("betweenness_samples must be positive, betweenness_exact_max >= 0")
        if self.exposure_days <= 0 or not self.at_risk_min_exposure > 0:
            raise ValueError("exposure_days and at_risk_min_exposure must be positive")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(f"unknown time zone {self.timezone!r}; use an IANA name such as "
                             "'Europe/London' or 'America/New_York'") from error
        if self.disruption_top < 0:
            raise ValueError("disruption_top must not be negative")
        if isinstance(self.alliance_association_kinds, str) or not all(
            isinstance(kind, str) for kind in self.alliance_association_kinds
        ):
            raise ValueError("alliance_association_kinds must be a list of association kinds")
        object.__setattr__(self, "alliance_association_kinds",
                           tuple(self.alliance_association_kinds))

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable; ``AnalysisConfig.from_dict`` reads it back."""
        as_of = to_utc(self.as_of)
        return {
            "as_of": as_of.isoformat() if as_of else None,
            "window_days": self.window_days,
            "half_life_days": self.half_life_days,
            "resolution": self.resolution,
            "seed": self.seed,
            "association_weights": {k: float(v) for k, v in self.association_weights.items()},
            "min_group_size": self.min_group_size,
            "max_group_size": self.max_group_size,
            "leiden_iterations": self.leiden_iterations,
            "harm_table": self.harm_table,
            "rfg": self.rfg.as_dict(),
            "criteria": self.criteria.as_dict(),
            "cell_metres": self.cell_metres,
            "population_table": self.population_table,
            "timezone": self.timezone,
            "stability_seeds": self.stability_seeds,
            "betweenness_exact_max": self.betweenness_exact_max,
            "betweenness_samples": self.betweenness_samples,
            "exposure_days": self.exposure_days,
            "at_risk_min_exposure": self.at_risk_min_exposure,
            "disruption_top": self.disruption_top,
            "alliance_association_kinds": list(self.alliance_association_kinds),
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> AnalysisConfig:
        values = dict(values)
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        if values.get("as_of"):
            values["as_of"] = datetime.fromisoformat(values["as_of"])
        if isinstance(values.get("rfg"), Mapping):
            values["rfg"] = RFGConfig.from_dict(values["rfg"])
        if isinstance(values.get("criteria"), Mapping):
            values["criteria"] = SelectionCriteria.from_dict(values["criteria"])
        return cls(**values)


def flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``as_dict`` output as dotted keys (``rfg.window_days``), lists as they are."""
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key != "association_weights":
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def diff_settings(
    old: Mapping[str, Any], new: Mapping[str, Any], ignore: tuple[str, ...] = ("as_of",)
) -> list[tuple[str, Any, Any]]:
    """(setting, old value, new value) for every setting that differs between two saved
    configs (``AnalysisConfig.as_dict``), the analysis date aside; a setting one of them lacks
    (saved before it existed) shows as None."""
    before, after = flatten(old), flatten(new)
    names = sorted(set(before) | set(after))
    return [(name, before.get(name), after.get(name)) for name in names
            if name not in ignore and _same(before.get(name)) != _same(after.get(name))]


def _same(value: Any) -> Any:
    """Lists and tuples, ints and floats compare equal when they hold the same numbers."""
    if isinstance(value, list | tuple):
        return tuple(_same(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
