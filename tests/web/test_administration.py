"""Agency, user and role administration: the system administrator's pages and actions, and the
``deter agencies`` and ``deter users`` commands. Everyone else gets a 404, audited; every change
is audited; bad input names the field and changes nothing."""

import html
import io

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from PIL import Image

from deter.cli import main
from deter.web import policy
from deter.web.actions import administration as admin
from deter.web.models import (
    AccountSecurity,
    Agency,
    AgencyLogo,
    AuditEvent,
    StaffProfile,
    StaffRole,
    UserSession,
)

from .factories import make_administrator


def image(fmt="PNG", size=(100, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def sysadmin(db):
    return make_administrator("sysadmin")


def rows(action: str, outcome: str = "allowed"):
    return AuditEvent.objects.filter(action=action, outcome=outcome)


# --- who may ---------------------------------------------------------------------------------


ADMIN_PAGES = ["admin_agencies", "admin_agency_new", "admin_users", "admin_user_new"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["coordinator", "analyst", "superuser", "stranger"])
def test_only_the_administrator_sees_the_pages(client, world, name, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse(name)).status_code == 404
    assert AuditEvent.objects.filter(outcome="denied", actor=getattr(world, who)).exists()


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_the_administrator_sees_the_pages(client, world, sysadmin, name):
    client.force_login(sysadmin)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "Administration" in response.content.decode()


def test_a_hidden_agency_or_user_is_a_missing_one(client, world):
    client.force_login(world.coordinator)
    for url in (reverse("admin_agency", args=[world.police.pk]),
                reverse("admin_user", args=[world.caseworker.pk])):
        hidden, missing = client.get(url), client.get(url.replace(
            f"/{world.police.pk}/", "/999999/").replace(f"/{world.caseworker.pk}/", "/999999/"))
        assert hidden.status_code == missing.status_code == 404
    assert client.post(reverse("admin_user_deactivate", args=[world.caseworker.pk])) \
        .status_code == 404
    world.caseworker.refresh_from_db()
    assert world.caseworker.is_active


def test_an_administrator_holds_no_role_and_sees_no_person(world, sysadmin):
    assert not policy.people.visible(sysadmin).exists()
    assert not policy.programmes.visible(sysadmin).exists()


@pytest.mark.parametrize("call", [
    lambda u, w: admin.save_agency(u, name="Rail Co", kind="community"),
    lambda u, w: admin.save_agency(u, w.police, name="Renamed", kind="police"),
    lambda u, w: admin.set_agency_logo(u, w.police, image()),
    lambda u, w: admin.create_account(u, username="new", full_name="New Person"),
    lambda u, w: admin.edit_account(u, w.caseworker, full_name="Renamed"),
    lambda u, w: admin.grant_role(u, w.caseworker, agency=w.police, role="analyst"),
    lambda u, w: admin.revoke_role(u, w.caseworker, agency=w.social_care, role="caseworker"),
])
def test_the_actions_refuse_anyone_but_the_administrator(world, call):
    before = (Agency.objects.count(), User.objects.count(), StaffRole.objects.count())
    with pytest.raises(PermissionDenied):
        call(world.coordinator, world)
    assert (Agency.objects.count(), User.objects.count(), StaffRole.objects.count()) == before
    assert AuditEvent.objects.filter(outcome="denied", actor=world.coordinator).exists()
    world.police.refresh_from_db()
    assert world.police.name == "Testshire Police"


# --- agencies --------------------------------------------------------------------------------


def test_the_administrator_adds_an_agency_with_its_letterhead(client, world, sysadmin):
    client.force_login(sysadmin)
    logo = io.BytesIO(image("JPEG"))
    logo.name = "btp.jpg"
    response = client.post(reverse("admin_agency_new"), {
        "name": "British Transport Police", "kind": "police",
        "address": "25 Camden Road\r\nLondon NW1 9LN", "phone": "0800 40 50 40", "logo": logo})
    assert response.status_code == 302
    agency = Agency.objects.get(name="British Transport Police")
    assert (agency.kind, agency.address, agency.phone) == (
        "police", "25 Camden Road\nLondon NW1 9LN", "0800 40 50 40")
    stored = Image.open(io.BytesIO(bytes(agency.logo.image)))
    assert stored.format == "PNG" and stored.size == (100, 40)  # re-encoded, pixels only
    created = rows("create_agency").get()
    assert (created.actor, created.object_id) == (sysadmin, str(agency.pk))
    assert rows("set_agency_logo").get().detail["logo"] == agency.logo_id
    page = client.get(reverse("admin_agency", args=[agency.pk])).content.decode()
    assert reverse("admin_agency_logo", args=[agency.pk]) in page
    served = client.get(reverse("admin_agency_logo", args=[agency.pk]))
    assert served["Content-Type"] == "image/png" and served.content == bytes(agency.logo.image)


@pytest.mark.parametrize(("upload", "message"), [
    (b"GIF89a\x01\x00\x01\x00", "is not a PNG or JPEG image"),
    (image("GIF"), "is a GIF image"),
    (image(size=(2400, 10)), "2400 by 10 pixels"),
    (b"\x89PNG" + b"0" * (1024 * 1024 + 1), "1 MB or smaller"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "is not a PNG or JPEG image"),
])
def test_a_bad_logo_is_refused_and_changes_nothing(client, world, sysadmin, upload, message):
    client.force_login(sysadmin)
    logo = io.BytesIO(upload)
    logo.name = "logo.png"
    response = client.post(reverse("admin_agency", args=[world.police.pk]), {
        "name": "Renamed Police", "kind": "police", "logo": logo})
    assert response.status_code == 400
    assert message in response.content.decode()
    world.police.refresh_from_db()
    assert world.police.name == "Testshire Police" and world.police.logo_id is None
    assert not AgencyLogo.objects.exists() and not rows("edit_agency").exists()


def test_bad_agency_fields_are_named(client, world, sysadmin):
    client.force_login(sysadmin)
    response = client.post(reverse("admin_agency_new"), {"name": "testshire police",
                                                         "kind": "", "phone": "call me"})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Select the kind of agency" in text
    with pytest.raises(ValidationError) as error:
        admin.save_agency(sysadmin, name="testshire police", kind="police", phone="call me")
    assert set(error.value.message_dict) == {"name", "phone"}
    assert "already an agency called" in error.value.message_dict["name"][0]
    assert Agency.objects.count() == 5


def test_editing_an_agency_audits_what_was_before(world, sysadmin):
    admin.save_agency(sysadmin, world.school, name="Northgate Academy", kind="school",
                      phone="01234 567890")
    row = rows("edit_agency").get()
    assert row.detail["changed"] == ["name", "phone"]
    assert row.detail["before"] == {"name": "Northgate School", "phone": ""}
    admin.set_agency_logo(sysadmin, world.school, image())
    first = world.school.logo_id
    admin.set_agency_logo(sysadmin, world.school, None)
    world.school.refresh_from_db()
    assert world.school.logo_id is None and AgencyLogo.objects.filter(pk=first).exists()


# --- users -----------------------------------------------------------------------------------


def test_the_administrator_adds_a_user_with_a_temporary_password(client, world, sysadmin):
    client.force_login(sysadmin)
    response = client.post(reverse("admin_user_new"), {
        "username": "jmorgan", "full_name": "Jo Morgan", "job_title": "Missing persons officer",
        "email": "jo.morgan@example.gov.uk", "phone": "01622 000000"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    user = User.objects.get(username="jmorgan")
    password = response.context["temporary_password"]
    assert password in response.content.decode() and user.check_password(password)
    assert AccountSecurity.objects.get(user=user).must_change_password
    profile = user.staff_profile
    assert (profile.full_name, profile.job_title, profile.phone, user.email) == (
        "Jo Morgan", "Missing persons officer", "01622 000000", "jo.morgan@example.gov.uk")
    assert not profile.system_administrator
    row = rows("create_user").get()
    assert row.object_id == str(user.pk) and password not in str(row.detail)


def test_bad_user_fields_are_named_and_change_nothing(client, world, sysadmin):
    client.force_login(sysadmin)
    users = User.objects.count()
    response = client.post(reverse("admin_user_new"), {
        "username": "Caseworker", "full_name": "", "email": "not-an-address", "phone": "x"})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Enter their full name" in text
    with pytest.raises(ValidationError) as error:
        admin.create_account(sysadmin, username="Caseworker", full_name="",
                             email="not-an-address", phone="x")
    assert set(error.value.message_dict) == {"username", "full_name", "email", "phone"}
    assert User.objects.count() == users and not rows("create_user").exists()


def test_only_the_system_makes_an_administrator(world, sysadmin):
    with pytest.raises(PermissionDenied):
        admin.create_account(sysadmin, username="another", full_name="Another",
                             system_administrator=True)
    with pytest.raises(PermissionDenied):
        admin.edit_account(sysadmin, world.coordinator, full_name="X",
                           system_administrator=True)
    assert not policy.is_system_administrator(world.coordinator)
    admin.edit_account(None, world.coordinator, full_name="Priya Shah",
                       system_administrator=True)
    assert policy.is_system_administrator(world.coordinator)


def test_the_administrator_edits_grants_and_revokes(client, world, sysadmin):
    client.force_login(sysadmin)
    url = reverse("admin_user", args=[world.caseworker.pk])
    page = client.get(url).content.decode()
    assert "Caseworker" in page and html.escape(world.social_care.name) in page
    assert client.post(url, {"full_name": "Sam Okafor", "job_title": "Adolescent worker",
                             "email": "", "phone": ""}).status_code == 302
    assert world.caseworker.staff_profile.full_name == "Sam Okafor"
    assert rows("edit_user").get().detail["changed"] == ["full_name", "job_title"]
    response = client.post(reverse("admin_user_grant", args=[world.caseworker.pk]),
                           {"agency": world.police.pk, "role": "analyst"})
    assert response.status_code == 302
    assert StaffRole.objects.filter(user=world.caseworker, agency=world.police,
                                    role="analyst").exists()
    assert rows("grant_role").get().detail["role"] == "analyst"
    empty = client.post(reverse("admin_user_grant", args=[world.caseworker.pk]), {})
    assert empty.status_code == 400 and "Select the agency" in empty.content.decode()
    role = StaffRole.objects.get(user=world.caseworker, agency=world.social_care)
    response = client.post(reverse("admin_user_revoke", args=[world.caseworker.pk, role.pk]))
    assert response.status_code == 302 and not StaffRole.objects.filter(pk=role.pk).exists()
    assert rows("revoke_role").get().detail["agency"] == world.social_care.pk
    # with the analyst role granted above taken away too, the caseworker has no role left and
    # no longer sees the programme's people at all
    assert policy.people.visible(world.caseworker).filter(pk=world.active.pk).exists()
    analyst = StaffRole.objects.get(user=world.caseworker, agency=world.police, role="analyst")
    assert client.post(reverse("admin_user_revoke", args=[world.caseworker.pk, analyst.pk])) \
        .status_code == 302
    assert not policy.people.visible(world.caseworker).exists()
    other = StaffRole.objects.get(user=world.coordinator)
    assert client.post(reverse("admin_user_revoke", args=[world.caseworker.pk, other.pk])) \
        .status_code == 404  # another user's role through this user's URL
    assert StaffRole.objects.filter(pk=other.pk).exists()


def test_deactivating_ends_the_sessions(client, world, sysadmin):
    other = client.__class__()
    other.force_login(world.caseworker)
    session_key = other.session.session_key
    # signing in recorded the session, so deactivation can find it
    assert UserSession.objects.filter(user=world.caseworker, session_key=session_key).exists()
    client.force_login(sysadmin)
    response = client.post(reverse("admin_user_deactivate", args=[world.caseworker.pk]))
    assert response.status_code == 302
    world.caseworker.refresh_from_db()
    assert not world.caseworker.is_active
    assert rows("deactivate_user").get().detail["sessions_ended"] == 1
    assert other.get(reverse("cohort")).status_code == 302  # signed out: to the sign-in page
    # not oneself
    assert client.post(reverse("admin_user_deactivate", args=[sysadmin.pk])).status_code == 403
    sysadmin.refresh_from_db()
    assert sysadmin.is_active and rows("deactivate_user", "denied").exists()


def test_the_list_pages_show_the_partnership(client, world, sysadmin):
    admin.edit_account(None, world.caseworker, full_name="Sam Okafor", job_title="Youth worker")
    client.force_login(sysadmin)
    users = client.get(reverse("admin_users")).content.decode()
    assert "Sam Okafor" in users and "Youth worker" in users and "System administrator" in users
    agencies = client.get(reverse("admin_agencies")).content.decode()
    assert "Northgate School" in agencies and "Testshire Police" in agencies
    assert rows("view_users").exists() and rows("view_agencies").exists()
    home = client.get(reverse("admin_users")).content.decode()
    assert 'href="/administration/users/"' in home  # in the navigation


def test_the_navigation_hides_administration_from_others(client, world):
    client.force_login(world.coordinator)
    assert "/administration/" not in client.get(reverse("cohort")).content.decode()


# --- the commands ----------------------------------------------------------------------------


def test_the_commands_enter_the_partnership(world, tmp_path, capsys):
    logo = tmp_path / "logo.png"
    logo.write_bytes(image())
    assert main(["agencies", "add", "Southeastern Railway", "--kind", "community",
                 "--address", "Friars Bridge Court / London SE1 8PG", "--phone",
                 "0345 322 7021", "--logo", str(logo)]) == 0
    rail = Agency.objects.get(name="Southeastern Railway")
    assert rail.address == "Friars Bridge Court\nLondon SE1 8PG" and rail.logo_id
    assert main(["agencies", "edit", "southeastern railway", "--phone", "0800 000000"]) == 0
    rail.refresh_from_db()
    assert rail.phone == "0800 000000" and rail.address.startswith("Friars")
    assert main(["users", "add", "kpatel", "--name", "Kiran Patel", "--job-title",
                 "Station manager", "--agency", "Southeastern Railway", "--role",
                 "partner"]) == 0
    out = capsys.readouterr().out
    assert "temporary password" in out and "granted partner at Southeastern Railway" in out
    kiran = User.objects.get(username="kpatel")
    assert kiran.staff_profile.job_title == "Station manager"
    assert main(["users", "grant", "kpatel", "--agency", "Testshire Police", "--role",
                 "analyst"]) == 0
    assert main(["users", "revoke", "kpatel", "--agency", "Testshire Police", "--role",
                 "analyst"]) == 0
    assert main(["users", "edit", "kpatel", "--phone", "07700 900000",
                 "--system-administrator"]) == 0
    kiran.staff_profile.refresh_from_db()
    assert kiran.staff_profile.phone == "07700 900000"
    assert kiran.staff_profile.system_administrator
    assert kiran.staff_profile.full_name == "Kiran Patel"  # what was not given stays
    assert main(["users", "deactivate", "kpatel"]) == 0
    assert main(["users", "list"]) == 0 and main(["agencies", "list"]) == 0
    out = capsys.readouterr().out
    assert "Kiran Patel" in out and "deactivated" in out and "Southeastern Railway" in out
    assert {r.actor_id for r in AuditEvent.objects.filter(
        action__in=["create_agency", "edit_agency", "create_user", "grant_role", "revoke_role",
                    "edit_user", "deactivate_user", "set_agency_logo"])} == {None}


@pytest.mark.parametrize(("argv", "message"), [
    (["agencies", "add", "X", "--kind", "bank"], "Unknown kind of agency 'bank'"),
    (["agencies", "edit", "Nowhere"], "no agency called 'Nowhere'"),
    (["users", "add", "bad name", "--name", "X"], "no spaces"),
    (["users", "grant", "caseworker", "--agency", "Nowhere", "--role", "analyst"],
     "no agency called 'Nowhere'"),
    (["users", "revoke", "caseworker", "--agency", "Testshire Police", "--role", "analyst"],
     "caseworker is not analyst at Testshire Police"),
    (["users", "edit", "nobody"], "no user is called 'nobody'"),
])
def test_the_commands_refuse_bad_input_and_change_nothing(world, capsys, argv, message):
    before = (Agency.objects.count(), User.objects.count(), StaffRole.objects.count(),
              StaffProfile.objects.count())
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Nothing was changed" in err
    assert (Agency.objects.count(), User.objects.count(), StaffRole.objects.count(),
            StaffProfile.objects.count()) == before


def test_a_bad_logo_on_the_command_line_saves_no_agency(world, tmp_path, capsys):
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"not an image")
    assert main(["agencies", "add", "Rail Co", "--kind", "community", "--logo", str(bad)]) == 2
    assert "is not a PNG or JPEG" in capsys.readouterr().err
    assert not Agency.objects.filter(name="Rail Co").exists()
