from .accounts import AccountSecurity, FormSubmission, UserSession
from .agency import Agency, AgencyLogo, StaffProfile, StaffRole, display_name, profile_of
from .analysis import AnalysisRun, FoundGroup, PersonScore, PlaceScore, RelationScore
from .api import ApiToken
from .audit import AuditEvent
from .casework import (
    GroupViolenceFlag,
    Intervention,
    InterventionUpdate,
    Letter,
    LetterTemplate,
    OrderBreach,
)
from .drug_market import HarmReductionRecord, TreatmentReferral
from .jobs import Job, ScheduledRun
from .meetings import CallInInvitation, Meeting, MeetingAction
from .outcomes import (
    InterventionSchedule,
    Occurrence,
    OperationOutcome,
    Premises,
    PremisesLink,
)
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
from .programme import (
    CohortDecision,
    CohortEntry,
    CohortGroup,
    CohortStatus,
    GroupMembershipChange,
    Programme,
)
from .retention import DeletionConfirmation, RetentionRun
from .rights import Challenge, Notification, SubjectAccessRequest
from .sharing import AgreementParty, DataSharingAgreement, PersonLink
from .sso import SingleSignOnIdentity

__all__ = [
    "AccountSecurity",
    "FormSubmission",
    "Agency",
    "AgencyLogo",
    "AgreementParty",
    "AnalysisRun",
    "ApiToken",
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
    "GroupMembershipChange",
    "GroupRelation",
    "GroupViolenceFlag",
    "HarmReductionRecord",
    "Job",
    "Intervention",
    "InterventionSchedule",
    "Occurrence",
    "OperationOutcome",
    "Premises",
    "PremisesLink",
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
    "StaffProfile",
    "StaffRole",
    "SubjectAccessRequest",
    "TreatmentReferral",
    "display_name",
    "profile_of",
    "UserSession",
]
