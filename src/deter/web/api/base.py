"""The base of every API view: refusals throttled too, one audit row per call, no-store."""

from django.contrib.auth.models import AnonymousUser
from django.utils.cache import add_never_cache_headers
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import audit
from . import idempotency
from .auth import token_of


class ApiView(APIView):
    """Each view names its audit row: ``audit_action`` and ``audit_kind``; the record's key is
    the URL's ``pk``; ``self.audited`` adds detail (the people a list returned). The row names
    the integration and the token, the method, path and status; a refusal (any 4xx) is
    ``denied``."""

    audit_action: str = ""
    audit_kind: str = ""

    def initial(self, request, *args, **kwargs) -> None:
        self.audited: dict = {}
        self.claimed = None
        try:
            super().initial(request, *args, **kwargs)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed):
            self.check_throttles(request)  # before a token is accepted, limited by address
            raise
        if request.method == "POST":
            self.claimed = idempotency.begin(request)

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            self.audited["replayed"] = True
            return Response(exc.data, status=exc.status,
                            headers={idempotency.REPLAYED: "true"})
        try:
            return super().handle_exception(exc)
        except Exception:  # a server error: nothing was recorded, so a retry may use the key
            if getattr(self, "claimed", None) is not None:
                idempotency.abandon(self.claimed)
                self.claimed = None
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "claimed", None) is not None:
            idempotency.finish(self.claimed, response)
        add_never_cache_headers(response)  # Cache-Control: no-store, and the rest
        self._audit(request, response)
        return response

    def _audit(self, request, response) -> None:
        token = token_of(request)
        user = getattr(request, "_user", None)  # never authenticate again here
        actor = user if user is not None and user.is_authenticated else AnonymousUser()
        refused = response.status_code >= 400
        audited = getattr(self, "audited", {})
        audit.record(
            actor, self.audit_action, self.audit_kind,
            self.kwargs.get("pk", audited.pop("pk", None)),
            outcome=audit.DENIED if refused else audit.ALLOWED,
            integration=token.name if token else None, token=token.prefix if token else None,
            method=request.method, path=request.path, status=response.status_code,
            **audited)
