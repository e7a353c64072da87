"""Thin, typed function views: the access check is the first line, writes go through actions."""

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    user: User
