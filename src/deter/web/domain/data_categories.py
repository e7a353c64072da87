"""Which data category each field Deter shows belongs to.

Every field of the models a page, letter, export or API shows is listed here
(``tests/web/test_data_categories.py`` fails when one is not); a page renders a field only if
``policy.<kind>.fields(user, record)`` grants its category. Free text sits in the category of
the field it is written in, whoever wrote it: an entry's rationale is analysis-written and a
decision's reason is the panel's reasoning over police data, so both are police intelligence.
"""

from enum import StrEnum

from ..models import Intervention


class Category(StrEnum):
    """Kinds of data a page, letter or export shows. A user sees a record's field only if the
    policy grants the category it belongs to."""

    IDENTITY = "identity"  # pseudonymous id, sex, age in years
    CONTACT = "contact"  # name, address and contact details (letters)
    DATE_OF_BIRTH = "date_of_birth"
    COHORT = "cohort"  # cohort status, plan (support offer), lead professional, review date
    INTERVENTIONS = "interventions"  # support, outreach and communication recorded
    ENFORCEMENT = "enforcement"  # enforcement interventions, orders, conditions, breaches
    HEALTH = "health"  # health, mental health and substance-misuse interventions (Art. 9)
    VICTIM_WITNESS = "victim_witness"  # victim and witness details
    ETHNICITY = "ethnicity"  # special category (Art. 9)
    SAFEGUARDING = "safeguarding"  # a child's safeguarding status and lead
    # events, recorded groups, scores, ranks, analysis and analysis-written or panel free text
    POLICE_INTELLIGENCE = "police_intelligence"


# what an agreement page and its form call each category
LABELS: dict[Category, str] = {
    Category.IDENTITY: "Identity (pseudonymous id, sex, age in years)",
    Category.CONTACT: "Names, addresses and contact details",
    Category.DATE_OF_BIRTH: "Date of birth",
    Category.COHORT: "Place in the programme (status, plan, lead professional, review date)",
    Category.INTERVENTIONS: "Support, outreach and communication recorded",
    Category.ENFORCEMENT: "Enforcement: orders, conditions and breaches",
    Category.HEALTH: "Health, mental health and substance misuse (special category)",
    Category.VICTIM_WITNESS: "Victim and witness details",
    Category.ETHNICITY: "Ethnicity (special category)",
    Category.SAFEGUARDING: "A child's safeguarding status and lead",
    Category.POLICE_INTELLIGENCE: "Police intelligence: events, groups, scores and analysis",
}


def label(category: str) -> str:
    """The readable name of a category; an unknown one (an old agreement's) as stored."""
    return LABELS.get(category, category)  # a StrEnum member hashes as its string


C = Category
IC = Intervention.Category

HEALTH_CATEGORIES = frozenset({IC.PHYSICAL_HEALTH, IC.MENTAL_HEALTH, IC.SUBSTANCE_MISUSE})

FIELDS: dict[str, dict[str, Category]] = {
    "person": {
        "id": C.IDENTITY, "person_id": C.IDENTITY, "sex": C.IDENTITY,
        "date_of_birth": C.DATE_OF_BIRTH, "ethnicity": C.ETHNICITY,
    },
    "cohort_entry": {
        "id": C.COHORT, "programme": C.COHORT, "person": C.IDENTITY, "status": C.COHORT,
        "review_date": C.COHORT, "lead_professional": C.COHORT, "support_offer": C.COHORT,
        "group": C.POLICE_INTELLIGENCE, "rationale": C.POLICE_INTELLIGENCE,
        "enforcement_consequence": C.ENFORCEMENT, "safeguarding": C.SAFEGUARDING,
        "safeguarding_lead": C.SAFEGUARDING, "proposed_by_run": C.POLICE_INTELLIGENCE,
        "proposed_by": C.POLICE_INTELLIGENCE, "evidence": C.POLICE_INTELLIGENCE,
        "decided_by": C.COHORT, "decided_at": C.COHORT,
    },
    "cohort_decision": {
        "id": C.COHORT, "entry": C.COHORT, "group": C.POLICE_INTELLIGENCE,
        "from_status": C.COHORT, "to_status": C.COHORT, "review_date": C.COHORT,
        "lead_professional": C.COHORT, "meeting": C.COHORT, "decided_by": C.COHORT,
        "decided_at": C.COHORT, "recorded_at": C.COHORT, "backdated_reason": C.COHORT,
        "reason": C.POLICE_INTELLIGENCE,
    },
    "person_score": {"*": C.POLICE_INTELLIGENCE},
    "event": {"*": C.POLICE_INTELLIGENCE},
    "involvement": {"*": C.POLICE_INTELLIGENCE},
    "membership": {"*": C.POLICE_INTELLIGENCE},
    "cohort_group": {"*": C.POLICE_INTELLIGENCE},
    "letter": {"*": C.CONTACT},
    # issue 16: that a referral exists, when and its stage, for whoever sees the person; the
    # clinical detail only for the provider and the lead agency's coordinator
    # (policy.treatment_referrals.fields)
    "treatment_referral": {
        "id": C.COHORT, "programme": C.COHORT, "person": C.IDENTITY, "provider": C.COHORT,
        "referred_on": C.COHORT, "recorded_by": C.COHORT, "created_at": C.COHORT,
        "source": C.HEALTH, "triaged_on": C.HEALTH, "assessed_on": C.HEALTH,
        "started_on": C.HEALTH, "modality": C.HEALTH, "exited_on": C.HEALTH,
        "exit_reason": C.HEALTH,
    },
    "harm_reduction_record": {"*": C.HEALTH},
}


def intervention_category(kind: str, category: str) -> Category:
    """The data category of an intervention's detail, from its kind and category."""
    if kind == Intervention.Kind.ENFORCEMENT:
        return C.ENFORCEMENT
    if category in HEALTH_CATEGORIES:
        return C.HEALTH
    return C.INTERVENTIONS


def category_of(kind: str, field: str) -> Category:
    """The category of one field of a record kind; a field not listed is a programming error."""
    fields = FIELDS[kind]
    return fields.get(field) or fields["*"]
