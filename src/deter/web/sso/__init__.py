"""Single sign-on with OpenID Connect (docs/sign-in.md, docs/adr/0013-single-sign-on.md).

mozilla-django-oidc runs the authorisation-code flow (state, nonce, PKCE, the ID token's
signature); ``config`` reads Deter's DETER_OIDC_* settings, the provider's discovery document
and the map from the provider's groups to agencies and roles; ``backend`` checks the ID
token's issuer and audience, maps the claims and has ``actions.accounts.sync_sso_user`` create
or update the account with exactly the roles the claims grant, at every sign-in. Nothing here
writes: the backend calls the action. The views are ``views.sso``.
"""
