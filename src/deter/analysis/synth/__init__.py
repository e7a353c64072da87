"""A seeded synthetic county with planted ground truth, in Deter's extract format.

``synthesise(seed, scale)`` builds people, events, involvements, intelligence associations,
street groups and (partial, noisy) recorded memberships as an :class:`Extract`, and keeps the
truth it planted apart: the true group memberships, the rivalries and alliances between groups,
and every person's planted offending rate.  Tests use the truth to check that the analysis finds
what was planted; ``deter demo`` writes it with :func:`write_county`.

What is planted, and how:

* Geography: towns in an English county box, each with a town centre (retail and night-time
  economy hotspot), deprived estates (residential hotspots) and residential spread; LSOA codes
  ("E019....", outside the real range) are the cells of a regular grid over the box, so a code
  always agrees with the point.  Ethnicity (ONS 2021 five groups) follows each town's mix:
  bigger towns are more diverse.
* Street groups of 5-30 people, mostly young men, each with a territory on an estate.  Groups
  near each other are rivals or allies.  Members co-offend mostly with each other (2-4 suspects
  on an event: drug supply, knives, robbery, assault), now and then with an ally or a peripheral
  associate who is not a member.  Rival groups attack each other (a member of one group is
  suspect, a member of the other victim); about a quarter of attacks are retaliations, days
  later, on whoever led an attack the other way, so members are both victims and suspects.
* Intelligence associations (seen together, stopped together, social media, siblings) mostly
  join members of one group, with some noise across groups and into the wider population.
* Recorded memberships are like real gang intelligence: about two thirds of true members are
  recorded; peripheral associates are sometimes recorded as members; some records are stale
  (former members, defunct groups) and carry an end date.  The truth is only in the truth frames.
* A heavy-tailed "power few": every offender's rate is drawn from a capped lognormal, so a few
  per cent of offenders commit about half of the offences and of the harm.  General crime
  uses real Home Office offence codes at their national 2017/18 frequencies; whether a suspect
  is identified and whether a victim is recorded depends on the offence.  Most people appear
  once, victims of ordinary crime are rarely offenders, and many events have no suspect (or no
  person at all).
* Recording depth: "small" and "county" name few people beyond suspects and victims (about
  0.8 people an event; most people appear once).  "force" and "national" record as a records
  management system does, about 2.5 people an event (DESIGN's force-year: 1M incidents, about
  2.5M person-incident links; the St. Louis police records of Rosenfeld and White have 2.7):
  every recordable person victim, a second victim now and then, witnesses by offence (staff at
  shoplifting, bystanders at night-time violence), and a reporting person (role "other"),
  nearly always when the victim is a business or the state.  Witnesses and callers recur
  (store staff, door staff) and some are already known as offenders or victims, so fewer than
  half of the people there appear only once.  Suspects and the co-offending network are
  planted the same way at every scale.
* Time: three years ending 2026-09-30, with a summer peak for violence, Friday and Saturday night
  peaks for violence and public order, daytime shoplifting, and a winter peak for burglary; the
  cycles are in UK local time and ``occurred_at`` is UTC.

Everything comes from one ``numpy.random.default_rng(seed)`` stream, so a seed fully decides the
output.
"""

from __future__ import annotations

from deter.analysis.synth.builder import _Builder
from deter.analysis.synth.county import SyntheticCounty, write_county
from deter.analysis.synth.model import harm_table
from deter.analysis.synth.scales import END, END_DATE, SCALES, START, Scale

__all__ = [
    "END", "END_DATE", "SCALES", "START", "Scale", "SyntheticCounty", "_Builder", "harm_table",
    "synthesise", "write_county",
]


def synthesise(seed: int = 1, scale: str = "county") -> SyntheticCounty:
    """Build the synthetic county (``scale``: "small", "county", "force" or "national")."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    return _Builder(seed, SCALES[scale]).build()
