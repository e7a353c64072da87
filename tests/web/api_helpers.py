"""Tokens for the test world's roles, and a client that calls the API with one."""

from django.test import Client

from deter.web.actions import api_tokens

# role -> (the World attribute of its agency, its StaffRole there): the service users hold
# exactly the roles the world's staff of the same name hold (tests/web/factories.py)
ROLE_AGENCIES = {
    "analyst": ("police", "analyst"),
    "coordinator": ("vru", "coordinator"),
    "caseworker": ("social_care", "caseworker"),
    "partner": ("school", "partner"),
    "stranger": ("housing", "partner"),
    "dpo": ("police", "dpo"),
    "evaluator": ("vru", "evaluator"),
}


def issue(world, role: str, *, days: int = 30, name: str | None = None):
    agency, staff_role = ROLE_AGENCIES[role]
    return api_tokens.issue_token(None, name=name or f"{role} system",
                                  agency_name=getattr(world, agency).name, role=staff_role,
                                  days=days)


def api_client(secret: str | None = None, **extra) -> Client:
    if secret is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return Client(**extra)
