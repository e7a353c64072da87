"""Rate limits (REST framework's throttling, in Django's cache): per token once it is
accepted, per client address before (so guessing tokens is slow too). The answer is 429 with
``Retry-After`` in seconds."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from ..audit.context import request_ip


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_rate(self) -> str:
        return settings.DETER_API_RATE  # read each call, so a changed setting applies

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.prefix}


class AddressRateThrottle(SimpleRateThrottle):
    scope = "address"

    def get_rate(self) -> str:
        return settings.DETER_API_ANONYMOUS_RATE

    def get_cache_key(self, request, view) -> str | None:
        if request.auth is not None:
            return None
        return self.cache_format % {"scope": self.scope,
                                    "ident": request_ip(request._request) or "unknown"}
