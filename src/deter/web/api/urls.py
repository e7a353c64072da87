"""``/api/v1/``: the routes (docs/api.md) and the OpenAPI 3 schema."""

from django.urls import path, re_path
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from . import views
from .base import ApiView


class SchemaView(ApiView, SpectacularAPIView):
    """The OpenAPI 3 schema, as JSON, for anyone (it names no record): audited like every
    call."""

    audit_action, audit_kind = "api_schema", "url"
    permission_classes = [AllowAny]
    authentication_classes = []
    renderer_classes = [OpenApiJsonRenderer]
    exclude_from_schema = True


urlpatterns = [
    path("v1/schema/", SchemaView.as_view(), name="api_schema"),
    path("v1/people/", views.PeopleView.as_view(), name="api_people"),
    path("v1/people/<int:pk>/", views.PersonView.as_view(), name="api_person"),
    path("v1/people/<int:pk>/interventions/", views.PersonInterventionsView.as_view(),
         name="api_person_interventions"),
    path("v1/interventions/<int:pk>/", views.InterventionView.as_view(),
         name="api_intervention"),
    path("v1/interventions/<int:pk>/updates/", views.InterventionUpdatesView.as_view(),
         name="api_intervention_updates"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="api_not_found"),
]
