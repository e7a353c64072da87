"""A drug-market programme beside the factories' world (issue 16): led by the VRU (so the
world's coordinator is the lead agency's), partnered by the police and a treatment provider
whose drug worker is a partner-agency user linked to the programme's one adult drug user."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from deter.web.models import Agency, CohortEntry, Person, Programme

from .factories import (
    Role,
    World,
    link,
    make_agency,
    make_entry,
    make_person,
    make_programme,
    make_user,
)


@dataclass
class Adder:
    programme: Programme
    treatment: Agency
    drug_worker: User
    person: Person
    entry: CohortEntry


def make_adder(world: World) -> Adder:
    treatment = make_agency("Testshire Recovery", Agency.Kind.TREATMENT)
    programme = make_programme("Drug market ADDER", [world.vru, world.police, treatment],
                               lead=world.vru)
    programme.delivery_model = Programme.DeliveryModel.DRUG_MARKET
    programme.save()
    person = make_person("P-USER", age=34)
    entry = make_entry(programme, person)
    link(programme, treatment, person, relationship="client")
    drug_worker = make_user("drugworker", treatment, Role.PARTNER)
    return Adder(programme, treatment, drug_worker, person, entry)
