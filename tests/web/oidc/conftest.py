"""A real OpenID provider on loopback (``provider.mjs``, the npm oidc-provider package) and a
browser that signs in at it: ``requests`` follows the provider's redirects and fills in its
sign-in form, Django's test client plays Deter's side."""

from __future__ import annotations

import json
import os
import re
import secrets
import select
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

REPO = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "deter-tests"
REDIRECT_URI = "http://testserver/oidc/callback/"
SIGNED_OUT_URI = "http://testserver/sign-in/"


@dataclass
class Provider:
    issuer: str
    client_secret: str
    accounts_file: Path

    def set_accounts(self, accounts: dict) -> None:
        """The provider's users, read again at each sign-in (a directory administrator's
        change takes effect at the user's next sign-in, as in Entra ID)."""
        self.accounts_file.write_text(json.dumps(accounts))


def _unavailable(message: str):
    if os.environ.get("DETER_REQUIRE_OIDC_PROVIDER"):
        pytest.fail(message + " (DETER_REQUIRE_OIDC_PROVIDER is set: CI must run them)")
    pytest.skip(message)


@contextmanager
def running_provider(folder: Path, redirect_uris: list[str],
                     post_logout_redirect_uris: list[str] = ()) -> Iterator[Provider]:
    """The test provider (``provider.mjs``) on a free loopback port, for one client that
    returns to ``redirect_uris`` (and after signing out, to ``post_logout_redirect_uris``);
    stopped on leaving."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "oidc-provider").is_dir():
        _unavailable("single sign-on tests need node and the npm oidc-provider package: run "
                     "`make setup`, which installs it")
    provider = Provider(issuer="", client_secret=secrets.token_urlsafe(32),
                        accounts_file=folder / "accounts.json")
    provider.set_accounts({})
    config = folder / "config.json"
    config.write_text(json.dumps({
        "client_id": CLIENT_ID, "client_secret": provider.client_secret,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": list(post_logout_redirect_uris),
        "accounts": str(provider.accounts_file)}))
    log = folder / "provider.log"  # a file, not a pipe nobody reads that could fill up
    with log.open("w") as errors:
        process = subprocess.Popen([node, str(SCRIPT), str(config)], cwd=REPO,  # noqa: S603
                                   text=True, stdout=subprocess.PIPE, stderr=errors)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            pytest.fail(f"the test OpenID provider did not start: {log.read_text()}")
        provider.issuer = json.loads(line)["issuer"]
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc"), [REDIRECT_URI],
                          [SIGNED_OUT_URI]) as provider:
        yield provider


FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


class Browser:
    """A user's browser at the provider: its cookies, its redirects, its sign-in form."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.http = requests.Session()
        self.pages: list[str] = []

    def authorise(self, authorization_url: str, login: str, password: str) -> str:
        """Follow the provider from Deter's redirect to its redirect back to Deter, signing
        in on its form; the URL Deter is sent back to."""
        url, method, data = authorization_url, "get", None
        for _ in range(12):
            response = self.http.request(method, url, data=data, allow_redirects=False,
                                         timeout=10)
            if response.is_redirect:
                url, method, data = urljoin(url, response.headers["Location"]), "get", None
                if url.startswith("http://testserver/"):
                    return url
                continue
            self.pages.append(response.text)
            action = FORM_ACTION.search(response.text)
            if response.status_code != 200 or action is None or data is not None:
                raise AssertionError(f"the provider answered {response.status_code}: "
                                     f"{response.text[:500]}")
            url, method = urljoin(url, action.group(1)), "post"
            data = {"login": login, "password": password}
        raise AssertionError("the provider never sent the browser back to Deter")


def local(url: str) -> str:
    """The path and query of a URL at Deter's test server, for Django's test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
