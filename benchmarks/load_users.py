"""Users for the load benchmarks who sign in as staff do in production: a password, then the
six-digit code of their own authenticator (production requires two-factor of local accounts,
and refuses the demo's accounts, whose passwords are published).

``make(n)`` (in a process with Django set up, against the benchmark's database) makes or resets
``load-00`` ... with the demo coordinator's roles (even numbers) or the demo caseworker's (odd),
a random password and a TOTP device; ``sign_in`` signs one in over HTTP.
"""

from __future__ import annotations

import re
import secrets
import time

PREFIX = "load-"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def make(count: int, like: str | None = None) -> list[dict]:
    """``count`` users, each like the demo coordinator or caseworker (``like``; by default
    alternately)."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from deter.web.models import StaffRole

    # the loader migrated Deter's own tables; an installed app added since may have its own
    call_command("migrate", verbosity=0)
    roles = {name: list(StaffRole.objects.filter(user__username=name)
                        .values_list("agency_id", "role"))
             for name in ("coordinator", "caseworker")}
    made = []
    for n in range(count):
        username = f"{PREFIX}{n:02}"
        password = secrets.token_urlsafe(18)
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        user.save()
        kind = like or ("coordinator" if n % 2 == 0 else "caseworker")
        for agency, role in roles[kind]:
            StaffRole.objects.get_or_create(user=user, agency_id=agency, role=role)
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name="load test", confirmed=True)
        made.append({"username": username, "password": password, "key": device.key,
                     "like": kind})
    return made


def code(key_hex: str) -> str:
    """The authenticator's code now, as the user's phone would show it."""
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex)):06d}"


async def sign_in(session, user: dict) -> list[tuple[str, float, object]]:
    """Sign ``session`` (a ``web_pages.Session``) in as ``user``: each step's name, seconds
    and response (302 expected of both)."""
    steps = []
    started = time.perf_counter()
    page = await session.get("/sign-in/")
    token = TOKEN.search(page.text)
    response = await session.client.post(
        session.base + "/sign-in/", headers=session._header(),
        data={"username": user["username"], "password": user["password"],
              "csrfmiddlewaretoken": token.group(1) if token else ""})
    session._keep(response)
    steps.append(("sign in: password", time.perf_counter() - started, response))
    if response.status_code != 302:
        return steps
    started = time.perf_counter()
    # the page asked for sends the browser on to the step owed: the code
    page, where = response, response.headers.get("location", "/")
    for _ in range(3):
        page = await session.get(where)
        if not page.is_redirect:
            break
        where = page.headers["location"]
    token = TOKEN.search(page.text)
    response = await session.client.post(
        session.base + where, headers=session._header(),
        data={"code": code(user["key"]), "csrfmiddlewaretoken": token.group(1) if token else ""})
    session._keep(response)
    steps.append(("sign in: code", time.perf_counter() - started, response))
    return steps
