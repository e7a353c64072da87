"""Why each page uses the data it shows: the purpose each URL declares, written on every audit
row of a request to it. ``delivery`` and ``evaluation`` are the purposes a data-sharing
agreement is made for (``DataSharingAgreement.Purpose``); the others are Deter's own.
``tests/web/test_audit_every_url.py`` fails for a URL name with no purpose here."""

DELIVERY = "delivery"  # DataSharingAgreement.Purpose.DELIVERY: support, communication, enforcement
EVALUATION = "evaluation"  # DataSharingAgreement.Purpose.EVALUATION
ANALYSIS = "analysis"  # the problem profile and the proposals it leads to
ADMINISTRATION = "administration"  # setting a programme up; agencies, accounts, roles
TRANSPARENCY = "transparency"  # how people are scored, published
RETENTION = "retention"  # keeping records no longer than the schedule allows
ACCOUNT = "account"  # signing in and out, one's own password, sessions and second factor
OVERSIGHT = "oversight"  # data protection: agreements and reading the audit trail
RIGHTS = "rights"  # individuals' rights: being told, challenging a listing, subject access

PURPOSES: dict[str, str] = {
    "home": ACCOUNT, "login": ACCOUNT, "logout": ACCOUNT,
    "oidc_authentication_init": ACCOUNT, "oidc_authentication_callback": ACCOUNT,
    "two_factor_verify": ACCOUNT,
    "account": ACCOUNT, "password_change": ACCOUNT, "sign_out_everywhere": ACCOUNT,
    "two_factor_setup": ACCOUNT, "new_recovery_codes": ACCOUNT,
    "passkey_register_begin": ACCOUNT, "passkey_register_complete": ACCOUNT,
    "passkey_remove": ACCOUNT, "passkey_verify_begin": ACCOUNT, "passkey_verify_complete": ACCOUNT,
    "cohort": ANALYSIS, "profile": ANALYSIS, "chart": ANALYSIS, "group": ANALYSIS,
    "bring_proposals": ANALYSIS, "programme_runs": ANALYSIS,
    "jobs": ANALYSIS, "job_analyse": ANALYSIS, "job": ANALYSIS, "job_retry": ANALYSIS,
    "programme_new": ADMINISTRATION, "programme_edit": ADMINISTRATION,
    **dict.fromkeys((
        "admin_agencies", "admin_agency_new", "admin_agency", "admin_agency_logo",
        "admin_users", "admin_user_new", "admin_user", "admin_user_grant", "admin_user_revoke",
        "admin_user_deactivate",
    ), ADMINISTRATION),
    "publish_scoring": ADMINISTRATION,
    "scoring": TRANSPARENCY, "programme_scoring": TRANSPARENCY, "public_scoring": TRANSPARENCY,
    "programme_fairness": EVALUATION,
    # issue 16: treatment and harm reduction are delivery; the ADDER dashboard monitors it
    "entry_treatment": DELIVERY, "entry_harm_reduction": DELIVERY, "treatment_step": DELIVERY,
    "programme_adder": EVALUATION,
    "programme_report": EVALUATION, "programme_report_pdf": EVALUATION,
    "evaluation_exports": EVALUATION, "evaluation_export_download": EVALUATION,
    "programme_evaluation": EVALUATION, "programme_evaluation_html": EVALUATION,
    "programme_evaluation_pdf": EVALUATION,
    "retention": RETENTION, "deletion_confirmations": RETENTION, "confirm_deletion": RETENTION,
    **dict.fromkeys((
        "agreements", "agreement_new", "agreement", "agreement_submit", "agreement_approve",
        "agreement_revoke", "dpo", "dpo_person_views", "dpo_user_activity", "dpo_flags",
        "dpo_export", "dpo_export_csv",
    ), OVERSIGHT),
    **dict.fromkeys((
        "programme_rights", "notification_new", "challenge_new", "challenge",
        "challenge_letter", "subject_access", "subject_access_request", "subject_access_extend",
        "subject_access_answer", "subject_access_archive",
    ), RIGHTS),
    **dict.fromkeys((
        "person", "add_intervention", "programmes", "programme", "panel",
        "panel_decide_person", "panel_decide_group", "panel_bulk_decide",
        "panel_propose_person", "panel_propose_group", "group_members", "group_plan",
        "group_decision",
        "group_plan_update", "entry_plan", "entry_decision", "entry_plan_update", "meetings",
        "meeting_new", "meeting", "meeting_edit", "meeting_agenda", "meeting_notes",
        "meeting_add_action", "meeting_invite", "invitation_attendance", "my_actions",
        "overdue_actions", "action_status", "intervention", "intervention_update",
        "intervention_breach", "programme_delivery", "letter_templates", "letter_template_new",
        "letter_template_edit", "letter_new", "group_intervention_add", "letter_docx",
        "letter_pdf", "flag_respond", "programme_links", "end_link",
        # the API for partner systems (docs/api.md)
        "api_schema", "api_people", "api_person", "api_person_interventions",
        "api_intervention", "api_intervention_updates", "api_not_found",
        "operation_outcome", "intervention_premises", "intervention_schedule",
        "occurrence_outcome", "programme_premises", "person_movement",
    ), DELIVERY),
}


def purpose_of(url_name: str | None) -> str:
    return PURPOSES.get(url_name or "", "")
