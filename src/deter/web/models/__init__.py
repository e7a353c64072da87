from .agency import Agency, StaffRole
from .analysis import AnalysisRun, GroupScore, PersonScore, PlaceScore, RelationScore
from .audit import AuditEvent
from .casework import (
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Letter,
    LetterTemplate,
    OrderBreach,
)
from .meetings import Action, CallInInvitation, Meeting
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
from .programme import CohortDecision, CohortEntry, CohortGroup, CohortStatus, Programme

__all__ = [
    "Action", "Agency", "AnalysisRun", "Association", "AuditEvent", "CallInInvitation",
    "CohortDecision", "CohortEntry", "CohortGroup", "CohortStatus", "Event", "Group",
    "GroupRelation", "GroupScore", "GroupViolenceFlag", "Intervention", "InterventionUpdate",
    "Involvement", "Letter", "LetterTemplate", "Location", "Meeting", "Membership",
    "OrderBreach", "Person", "PersonScore", "PlaceScore", "Programme", "RelationScore",
    "StaffRole",
]
