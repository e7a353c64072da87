"""The versioned HTTP API for partner systems (docs/api.md, ADR 20): ``/api/v1/``.

Django REST framework with drf-spectacular's OpenAPI 3 schema. The layers are the web app's:
views here are thin, read through the policy (``policy.people``, ``policy.interventions``)
and write only by calling ``actions.interventions``; a token acts as its integration's service
user, so the policy answers for it exactly as for the agency's staff. ``auth`` reads the token,
``throttling`` limits calls, ``errors`` answers every refusal as JSON naming what is wrong, and
``base.ApiView`` writes one audit row per call naming the integration, refusals included.
"""
