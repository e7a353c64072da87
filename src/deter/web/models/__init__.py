from .accounts import AccountSecurity, UserSession
from .agency import Agency, StaffRole
from .analysis import AnalysisRun, FoundGroup, PersonScore, PlaceScore, RelationScore
from .audit import AuditEvent
from .casework import (
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Letter,
    LetterTemplate,
    OrderBreach,
)
from .jobs import Job, ScheduledRun
from .meetings import CallInInvitation, Meeting, MeetingAction
from .pole import (
    Association,
    Event,
    GroupRelation,
    Involvement,
    Location,
    Membership,
    Person,
    RecordedGroup,
)
from .programme import CohortDecision, CohortEntry, CohortGroup, CohortStatus, Programme
from .retention import DeletionConfirmation, RetentionRun
from .rights import Challenge, Notification, SubjectAccessRequest
from .sharing import AgreementParty, DataSharingAgreement, PersonLink
from .sso import SingleSignOnIdentity

__all__ = [
    "AccountSecurity",
    "Agency",
    "AgreementParty",
    "AnalysisRun",
    "Association",
    "AuditEvent",
    "CallInInvitation",
    "Challenge",
    "CohortDecision",
    "CohortEntry",
    "CohortGroup",
    "CohortStatus",
    "DataSharingAgreement",
    "DeletionConfirmation",
    "Event",
    "FoundGroup",
    "GroupRelation",
    "GroupViolenceFlag",
    "Job",
    "Intervention",
    "InterventionUpdate",
    "Involvement",
    "Letter",
    "LetterTemplate",
    "Location",
    "Meeting",
    "MeetingAction",
    "Notification",
    "Membership",
    "OrderBreach",
    "Person",
    "PersonLink",
    "PersonScore",
    "PlaceScore",
    "Programme",
    "RecordedGroup",
    "RelationScore",
    "RetentionRun",
    "ScheduledRun",
    "SingleSignOnIdentity",
    "StaffRole",
    "SubjectAccessRequest",
    "UserSession",
]
