"""Template context every page needs: which navigation items the user may follow."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import policy


def navigation(request: HttpRequest) -> dict:
    # lazy: pages that never render the navigation (sign-in, SVG) pay no query
    return {"can_see_profile": SimpleLazyObject(
        lambda: policy.can_see_problem_profile(request.user)
    )}
