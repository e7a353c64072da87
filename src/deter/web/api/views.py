"""The API's views: thin, reading through the policy and writing through the actions.

A person or intervention the caller may not see answers 404 exactly as a missing one does
(ADR 4); a write the policy refuses answers 403; invalid input 400, naming each field, and
changes nothing.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .. import actions, policy
from ..actions import interventions as intervention_actions
from . import serializers as s
from .base import ApiView
from .idempotency import PARAMETER as IDEMPOTENCY_KEY

_ERRORS = {code: OpenApiResponse(s.Error, description=text) for code, text in (
    (400, "Invalid input: each field in error is named"),
    (401, "No token, or a token that is unknown, revoked or expired"),
    (403, "The policy does not allow this"),
    (404, "No such record, or one the caller may not see"),
    (406, "Only JSON is answered"),
    (415, "Only JSON is taken"),
    (429, "Too many calls: wait the seconds in Retry-After"),
    (409, "The first request with this Idempotency-Key is still being recorded"),
    (422, "This Idempotency-Key was used for a different request"),
)}


def _errors(*codes: int) -> dict:
    return {code: _ERRORS[code] for code in (401, 404, 406, 429, *codes)}


PK = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The record's id")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _people(user):
    return policy.people.visible(user).prefetch_related(policy.entries.prefetch(user))


def _person_out(user, person) -> dict:
    return s.person_out(person, policy.people.fields_in(user, person.visible_entries),
                        lambda entry: policy.people.fields_in(user, [entry]))


def _person(view: ApiView, pk: int):
    person = _people(view.request.user).filter(pk=pk).first() if policy.valid_pk(pk) else None
    if person is None:
        raise Http404("No person found")
    return person


class PeopleView(ApiView):
    """The people the caller's agency may see, by id, a page at a time; each with the fields
    its data-sharing agreement grants (``categories``) and the programmes it is seen in."""

    audit_action, audit_kind = "api_list_people", "person"

    @extend_schema(operation_id="list_people", parameters=[s.Paging],
                   responses={200: s.PeoplePage, **_errors(400)},
                   summary="The people the caller's agency may see")
    def get(self, request):
        paging = _valid(s.Paging, request.query_params)
        limit, offset = paging["limit"], paging["offset"]
        people = _people(request.user)
        page = list(people.order_by("pk")[offset:offset + limit])
        self.audited["people"] = [person.pk for person in page]
        return Response({"count": people.count(), "limit": limit, "offset": offset,
                         "results": [_person_out(request.user, p) for p in page]})


class PersonView(ApiView):
    """One person, as in the list; 404 for one the caller may not see, as for a missing one."""

    audit_action, audit_kind = "view_person", "person"

    @extend_schema(operation_id="get_person", parameters=[PK],
                   responses={200: s.PersonOut, **_errors()})
    def get(self, request, pk: int):
        return Response(_person_out(request.user, _person(self, pk)))


def _interventions(user):
    return policy.interventions.of_people_with_updates(user)


class PersonInterventionsView(ApiView):
    """The person's interventions the caller may see (GET), or record a new one (POST): in a
    programme the person is in, by an agency the caller may record for (a partner agency's
    token, its own)."""

    audit_kind = "person"

    @property
    def audit_action(self) -> str:
        return "api_add_intervention" if self.request.method == "POST" \
            else "api_list_interventions"

    @extend_schema(operation_id="list_person_interventions", parameters=[PK],
                   responses={200: s.InterventionOut(many=True), **_errors()})
    def get(self, request, pk: int):
        person = _person(self, pk)
        found = _interventions(request.user).filter(
            pk__in=policy.interventions.of_person(request.user, person).values("pk")
        ).order_by("-created_at", "-pk")
        self.audited["interventions"] = [i.pk for i in found]
        return Response(s.InterventionOut(found, many=True).data)

    @extend_schema(operation_id="add_person_intervention", parameters=[PK, IDEMPOTENCY_KEY],
                   request=s.InterventionIn,
                   responses={201: s.InterventionOut, **_errors(400, 403, 409, 415, 422)})
    def post(self, request, pk: int):
        person = _person(self, pk)
        data = _valid(s.InterventionIn, request.data)
        programme = policy.programmes.of_person(request.user, person).filter(
            pk=data.pop("programme")).first()
        if programme is None:
            raise exceptions.ValidationError(
                {"programme": ["Not a programme in which you see this person"]})
        agency = programme.agencies.filter(pk=data.pop("agency")).first()
        if agency is None:
            raise exceptions.ValidationError(
                {"agency": ["Not one of this programme's agencies"]})
        # the action asks the policy whether the caller may record for this agency (403)
        made = actions.add_intervention(request.user, person, programme, agency=agency, **data)
        self.audited["intervention"] = made.pk
        return Response(s.InterventionOut(_interventions(request.user).get(pk=made.pk)).data,
                        status=status.HTTP_201_CREATED)


def _intervention(view: ApiView, pk: int):
    found = _interventions(view.request.user).filter(pk=pk).first() \
        if policy.valid_pk(pk) else None
    if found is None:
        raise Http404("No intervention found")
    return found


class InterventionView(ApiView):
    """One intervention with its life-cycle."""

    audit_action, audit_kind = "api_view_intervention", "intervention"

    @extend_schema(operation_id="get_intervention", parameters=[PK],
                   responses={200: s.InterventionOut, **_errors()})
    def get(self, request, pk: int):
        return Response(s.InterventionOut(_intervention(self, pk)).data)


class InterventionUpdatesView(ApiView):
    """Move an intervention along its life-cycle on the day it happened: a referral accepted,
    attendance (engaged), completed, declined or closed. A change the life-cycle does not allow
    is a 400 naming the statuses it can become."""

    audit_action, audit_kind = "api_update_intervention", "intervention"

    @extend_schema(operation_id="update_intervention", parameters=[PK, IDEMPOTENCY_KEY],
                   request=s.UpdateIn,
                   responses={201: s.InterventionOut, **_errors(400, 403, 409, 415, 422)},
                   summary="Move it along its life-cycle: referral status, attendance")
    def post(self, request, pk: int):
        intervention = _intervention(self, pk)
        data = _valid(s.UpdateIn, request.data)
        intervention_actions.update_intervention(
            request.user, intervention, data["status"], data["on"], data["note"])
        return Response(s.InterventionOut(_intervention(self, pk)).data,
                        status=status.HTTP_201_CREATED)


class NotFoundView(ApiView):
    """Any other path under /api/: a JSON 404, audited, for any method."""

    audit_action, audit_kind = "api_not_found", "url"
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound(f"No API route {request.path}")
