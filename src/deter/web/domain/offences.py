"""Which offence categories count as violence: one definition for the demo cohort, the group
response, the meeting agenda and anything else in the web app that asks.

It is the analysis's own set (``deter.analysis.harm_tables``), so "violent" means the same in a
harm score's selection criteria and in a group's violence flag.
"""

from deter.analysis.harm_tables import VIOLENT_CATEGORIES


def is_violent(offence_category: str | None) -> bool:
    return (offence_category or "").strip().lower() in VIOLENT_CATEGORIES


__all__ = ["VIOLENT_CATEGORIES", "is_violent"]
