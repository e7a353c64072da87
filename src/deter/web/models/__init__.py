from .agency import Agency, StaffRole
from .analysis import AnalysisRun, GroupScore, PersonScore, PlaceScore, RelationScore
from .audit import AuditEvent
from .pole import (
    Association,
    Event,
    Group,
    GroupRelation,
    Involvement,
    Location,
    Membership,
    Person,
)
from .programme import CohortEntry, Intervention, Programme

__all__ = [
    "Agency", "AnalysisRun", "Association", "AuditEvent", "CohortEntry", "Event", "Group",
    "GroupRelation", "GroupScore", "Intervention", "Involvement", "Location", "Membership",
    "Person", "PersonScore", "PlaceScore", "Programme", "RelationScore", "StaffRole",
]
