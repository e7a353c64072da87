"""Deter's own middleware."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import policy


class PolicyCacheMiddleware:
    """Each request reads the signed-in user's roles and partnerships once (see
    ``policy.grants``); the next request reads them afresh."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = policy.caching_grants()
        try:
            return self.get_response(request)
        finally:
            policy.stop_caching(token)
