"""Who counts as a child: one definition for every page, action and template.

Children as young as 14 are in focused deterrence cohorts, and the law (Children Act 1989 and
2004) treats anyone under 18 as a child. Wherever safeguarding is concerned a person whose age
is not recorded is treated as a child too: a missing date of birth must never switch off the
protections a child would have.
"""

from datetime import date

ADULT_AGE = 18


def is_child(age: int | None) -> bool:
    """Under 18, or of unknown age."""
    return age is None or age < ADULT_AGE


def child_label(age: int | None) -> str:
    """What the "Child" tag says: nothing for an adult."""
    if age is None:
        return "Treated as a child"
    return "Child" if age < ADULT_AGE else ""


def last_adult_birthday(today: date) -> date:
    """Anyone born on or before this day is an adult on ``today``."""
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February: the 18th birthday falls on 1 March
        return today.replace(year=today.year - ADULT_AGE, month=2, day=28)
