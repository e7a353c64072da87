"""The generator: one random stream and the arrays as planted; ``build`` returns the county."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import polars as pl

from deter.analysis.extract import Extract
from deter.analysis.synth.county import SyntheticCounty
from deter.analysis.synth.model import (
    ASSOCIATION_KINDS,
    ETHNIC_RURAL,
    ETHNIC_URBAN,
    FAMILIES,
    FAMILY_OF_SUBGROUP,
    GROUP_CO_OFFENDING,
    GROUP_NAME_HEADS,
    GROUP_NAME_SUFFIXES,
    GROUP_NAME_TAILS,
    GROUP_RIVAL_VIOLENCE,
    MEMBER_SOLO,
    MEMBERSHIP_SOURCES,
    P_CENTRE,
    P_CENTRE_NIGHT_VIOLENCE,
    P_ETHNICITY_MISSING,
    P_MORE_VICTIMS,
    P_REPORTER,
    P_SUSPECT,
    P_VICTIM,
    P_VICTIM_CODE,
    TIME_PROFILES,
    WITNESSES_PER_EVENT,
    harm_table,
)
from deter.analysis.synth.scales import (
    END,
    END_DATE,
    ETHNICITIES,
    OFFENDER,
    OTHER,
    RATE_CAP,
    RATE_MEDIAN,
    RATE_SIGMA,
    ROLE_NAMES,
    SECONDS,
    START,
    SUSPECT,
    VICTIM,
    WITNESS,
    YEARS,
    Scale,
)


class GroupCoOffending(NamedTuple):
    """Group co-offending events (E1): group, count, sizes, member slots, codes, times."""

    e1_group: Any
    e1_n: Any
    e1_k: Any
    ev: Any
    person: Any
    to_periphery: Any
    e1_code: Any
    e1_time: Any


class RivalViolence(NamedTuple):
    """Rival violence events (E2): attackers, targets, victims, codes, times."""

    e2_n: Any
    e2_k: Any
    e2_time: Any
    aggressor: Any
    target: Any
    ev2: Any
    person2: Any
    victim2_ev: Any
    victim2: Any
    bystander: Any
    e2_code: Any


class Unidentified(NamedTuple):
    """Events with no identified suspect (E4)."""

    e4_n: Any
    e4_code: Any
    e4_time: Any


@dataclass(frozen=True)
class EventsToPlace:
    """What ``_Builder.locate`` needs to put every event on the map."""

    code: np.ndarray  # offence code index of each event
    seconds: np.ndarray  # seconds since START of each event
    offsets: np.ndarray  # where group (E1), rival (E2), suspect (E3), other (E4) events start
    e1_group: np.ndarray  # the group of each group co-offending event
    aggressor: np.ndarray  # the attacking group of each rival violence event
    target: np.ndarray  # the attacked group of each rival violence event
    e3_first: np.ndarray  # the first suspect of each identified-suspect event
    first_is_member: np.ndarray  # whether that suspect is a group member
    inv_event: np.ndarray  # involvements: event, person and role index
    inv_person: np.ndarray
    inv_role: np.ndarray
    home: np.ndarray  # the home town of each person


class _Builder:
    """Holds the random stream and the arrays as they are planted; ``build`` returns the county."""

    def __init__(self, seed: int, scale: Scale):
        self.rng = np.random.default_rng(seed)
        self.s = scale
        self.codes = harm_table()
        self.code_index = {c: i for i, c in enumerate(self.codes["offence_code"].to_list())}
        category = self.codes["policeuk_category"].to_list()
        code = self.codes["offence_code"].to_list()
        self.p_suspect = np.array([P_SUSPECT[c] for c in category])
        self.p_victim = np.array(
            [P_VICTIM_CODE.get(k, P_VICTIM[c]) for k, c in zip(code, category, strict=True)]
        )
        self.p_centre = np.array([P_CENTRE.get(c, 0.1) for c in category])
        self.witness_mean = np.array([WITNESSES_PER_EVENT[c] for c in category])
        self.p_more_victims = np.array([P_MORE_VICTIMS.get(c, 0.0) for c in category])
        self.violent_night = np.array(
            [FAMILY_OF_SUBGROUP.get(g) == "night" for g in self.codes["offence_subgroup"]]
        )
        self.family = np.array(
            [
                FAMILIES.index(FAMILY_OF_SUBGROUP.get(g, "flat"))
                for g in self.codes["offence_subgroup"]
            ]
        )
        self.sexual = (self.codes["offence_group"] == "Sexual offences").to_numpy()
        self.national = self.codes["national_count_2017_18"].to_numpy().astype(float)

    # -- helpers --

    def mix(self, mix: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        idx = np.array([self.code_index[c] for c in mix])
        p = np.array(list(mix.values()), dtype=float)
        return idx, p / p.sum()

    def draw_codes(self, n: int, idx: np.ndarray, p: np.ndarray) -> np.ndarray:
        return idx[self.rng.choice(len(idx), size=n, p=p)]

    def bernoulli(self, p: np.ndarray | float, n: int | None = None) -> np.ndarray:
        size = n if n is not None else np.shape(p)
        return self.rng.random(size) < p

    def choose_members(
        self, groups: np.ndarray, k: np.ndarray, log_weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pick ``k[e]`` distinct members of ``groups[e]`` for each event ``e``, by weight.

        Gumbel top-k over a padded (event x member slot) matrix; returns (event, slot, person).
        """
        n, width = len(groups), int(self.size.max())
        j = np.arange(width)
        idx = self.start[groups][:, None] + j[None, :]
        valid = j[None, :] < self.size[groups][:, None]
        idx = np.where(valid, idx, 0)
        keys = np.where(valid, log_weight[idx] + self.rng.gumbel(size=(n, width)), -np.inf)
        kmax = int(k.max()) if n else 0
        top = np.argsort(-keys, axis=1, kind="stable")[:, :kmax]
        chosen = np.take_along_axis(idx, top, axis=1)
        mask = np.arange(kmax)[None, :] < k[:, None]
        event = np.broadcast_to(np.arange(n)[:, None], (n, kmax))[mask]
        slot = np.broadcast_to(np.arange(kmax)[None, :], (n, kmax))[mask]
        return event, slot, chosen[mask]

    def spread(self, counts_extra: int, n: int, weight: np.ndarray) -> np.ndarray:
        """Everyone once, then ``counts_extra`` more appearances shared by weight: shuffled ids."""
        counts = 1 + self.rng.multinomial(counts_extra, weight / weight.sum())
        return self.rng.permutation(np.repeat(np.arange(n), counts))

    # -- stages --

    def geography(self) -> None:
        s, rng = self.s, self.rng
        south, north, west, east = s.box
        self.lon_scale = np.cos(np.radians((south + north) / 2))
        k = s.towns
        cand_lat = rng.uniform(south + 0.1 * (north - south), north - 0.1 * (north - south), 30 * k)
        cand_lon = rng.uniform(west + 0.1 * (east - west), east - 0.1 * (east - west), 30 * k)
        chosen = [0]
        dist = np.full(len(cand_lat), np.inf)
        for _ in range(k - 1):  # farthest-point: towns spread over the box
            last = chosen[-1]
            d = np.hypot(cand_lat - cand_lat[last], (cand_lon - cand_lon[last]) * self.lon_scale)
            dist = np.minimum(dist, d)
            chosen.append(int(np.argmax(dist)))
        self.town_lat, self.town_lon = cand_lat[chosen], cand_lon[chosen]
        rank = np.arange(k)
        self.town_pop = 1.0 / (rank + 1.0) ** 0.9
        rel = np.sqrt(self.town_pop / self.town_pop.max())
        self.town_sigma = 0.008 + 0.02 * rel
        diversity = np.clip(0.8 * rel**2 + rng.normal(0, 0.08, k), 0.02, 1.0)
        mix = (1 - diversity)[:, None] * ETHNIC_RURAL + diversity[:, None] * ETHNIC_URBAN
        self.town_ethnic_cdf = np.cumsum(mix / mix.sum(1, keepdims=True), axis=1)
        est_count = 2 + np.round(3 * self.town_pop / self.town_pop.max()).astype(int)
        self.est_start = np.concatenate([[0], np.cumsum(est_count)[:-1]])
        self.est_count = est_count
        est_town = np.repeat(np.arange(k), est_count)
        self.est_lat = (
            self.town_lat[est_town] + rng.normal(0, 0.6, len(est_town)) * self.town_sigma[est_town]
        )
        self.est_lon = self.town_lon[est_town] + rng.normal(0, 0.6, len(est_town)) * (
            self.town_sigma[est_town] / self.lon_scale
        )

    def groups(self) -> None:
        s, rng = self.s, self.rng
        g = s.groups
        p_town = self.town_pop**1.3
        self.group_town = rng.choice(s.towns, size=g, p=p_town / p_town.sum())
        est = self.est_start[self.group_town] + (
            rng.random(g) * self.est_count[self.group_town]
        ).astype(int)
        self.terr_lat = self.est_lat[est] + rng.normal(0, 0.004, g)
        self.terr_lon = self.est_lon[est] + rng.normal(0, 0.004, g) / self.lon_scale
        self.size = np.clip(np.round(rng.lognormal(np.log(12), 0.5, g)), 5, 30).astype(int)
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]])
        self.n_members = int(self.size.sum())
        self.member_group = np.repeat(np.arange(g), self.size)
        self.activity = rng.lognormal(0.0, 0.8, self.n_members)  # within-group offending weight
        self.group_activity = rng.lognormal(0.0, 0.35, g)
        # names: the planted groups, then a few defunct ones that only stale records mention
        self.n_defunct = max(1, int(round(0.05 * g)))
        names = [
            f"{h}{t} {x}"
            for h in GROUP_NAME_HEADS
            for t in GROUP_NAME_TAILS
            for x in GROUP_NAME_SUFFIXES
        ]
        pick = rng.choice(len(names), size=g + self.n_defunct, replace=False)
        self.group_names = [names[i] for i in pick]

        # Rivalries and alliances between near neighbours.
        d = np.hypot(
            self.terr_lat[:, None] - self.terr_lat[None, :],
            (self.terr_lon[:, None] - self.terr_lon[None, :]) * self.lon_scale,
        )
        np.fill_diagonal(d, np.inf)
        near = np.argsort(d, axis=1, kind="stable")[:, : min(6, g - 1)]
        rival_pick = rng.random(near.shape) < np.where(np.arange(near.shape[1]) < 4, 0.18, 0.0)
        ally_pick = rng.random(near.shape) < 0.1
        rows = np.broadcast_to(np.arange(g)[:, None], near.shape)

        def pairs(pick: np.ndarray) -> set[tuple[int, int]]:
            a, b = rows[pick], near[pick]
            return {(int(min(x, y)), int(max(x, y))) for x, y in zip(a, b, strict=True)}

        rivals = pairs(rival_pick)
        allies = pairs(ally_pick) - rivals
        if not rivals:  # every county has at least one feud and one alliance
            rivals = {(0, int(near[0, 0]))}
        if not allies and g > 2:
            x = next(int(x) for x in near[0] if (0, int(x)) not in rivals)
            allies = {(0, x)}
        self.rivals = np.array(sorted(rivals), dtype=int).reshape(-1, 2)
        self.allies = np.array(sorted(allies), dtype=int).reshape(-1, 2)
        # Each group's allies, as a flat array with offsets.
        both = (
            np.concatenate([self.allies, self.allies[:, ::-1]])
            if len(self.allies)
            else np.zeros((0, 2), int)
        )
        both = both[np.lexsort((both[:, 1], both[:, 0]))]
        self.ally_count = np.bincount(both[:, 0], minlength=g)
        self.ally_start = np.concatenate([[0], np.cumsum(self.ally_count)[:-1]])
        self.ally_flat = both[:, 1]

    def random_member(self, groups: np.ndarray) -> np.ndarray:
        return self.start[groups] + (self.rng.random(len(groups)) * self.size[groups]).astype(int)

    def random_ally(self, groups: np.ndarray) -> np.ndarray:
        """A random ally of each group (callers pass only groups that have one)."""
        pick = (self.rng.random(len(groups)) * self.ally_count[groups]).astype(int)
        return self.ally_flat[self.ally_start[groups] + pick]

    def hour_weights(self) -> None:
        """Per time family, the weight of every UTC hour of the window (cycles in UK local time)."""
        hours = pl.datetime_range(START, END, "1h", closed="left", time_zone="UTC", eager=True)
        local = hours.dt.convert_time_zone("Europe/London")
        dow = local.dt.weekday().to_numpy().astype(int) - 1  # 0 = Monday
        hour = local.dt.hour().to_numpy().astype(int)
        doy = local.dt.ordinal_day().to_numpy().astype(float)
        self.local_hour = hour
        self.weekend_night = (
            ((dow == 4) & (hour >= 20))
            | ((dow == 5) & ((hour < 4) | (hour >= 20)))
            | ((dow == 6) & (hour < 4))
        )
        self.hour_p = []
        for family in FAMILIES:
            by_hour, by_dow, boost, amp, peak = TIME_PROFILES[family]
            w = np.asarray(by_hour)[hour] * np.asarray(by_dow)[dow]
            w = w * np.where(self.weekend_night, boost, 1.0)
            w = w * (1 + amp * np.cos(2 * np.pi * (doy - peak) / 365.25))
            self.hour_p.append(w / w.sum())

    def draw_times(self, family: np.ndarray) -> np.ndarray:
        """Seconds since START (whole minutes) for events of the given time families."""
        hour_idx = np.zeros(len(family), dtype=np.int64)
        for f in range(len(FAMILIES)):
            at = np.flatnonzero(family == f)
            hour_idx[at] = self.rng.choice(len(self.hour_p[f]), size=len(at), p=self.hour_p[f])
        return hour_idx * 3600 + self.rng.integers(0, 60, len(family)) * 60

    # -- events --

    def build(self) -> SyntheticCounty:
        rng, s = self.rng, self.s
        self.geography()
        self.groups()
        self.hour_weights()
        g, m = s.groups, self.n_members
        log_act = np.log(self.activity)

        # 1. Group co-offending: 2-4 members of one group on an event.
        e1_group, e1_n, e1_k, ev, person, to_periphery, e1_code, e1_time = (
            self.plant_group_co_offending(log_act)
        )

        # 2. Rival violence: suspects from one group, the victim a member of its rival.
        (
            e2_n, e2_k, e2_time, aggressor, target, ev2,
            person2, victim2_ev, victim2, bystander, e2_code,
        ) = self.plant_rival_violence(log_act)

        # 3. Identified-suspect general crime: the "power few" and members' own offending.
        w = self.national
        f_suspect = float((w * self.p_suspect).sum() / w.sum())
        solo = rng.poisson(0.9 * self.activity * YEARS)
        k_p = np.array([0.8, 0.14, 0.06])
        k_mean = float((k_p * np.arange(1, 4)).sum())
        mu_median, mu_sigma, mu_cap = RATE_MEDIAN * YEARS, RATE_SIGMA, RATE_CAP * YEARS
        mean_mu = _capped_lognormal_mean(mu_median, mu_sigma, mu_cap)
        general_events = s.events - e1_n - e2_n
        general_target = f_suspect * general_events - solo.sum()  # events led by non-members
        n_off = max(int(round(general_target * k_mean / (1 + mean_mu))), 10)
        mu = np.minimum(mu_median * rng.lognormal(0.0, mu_sigma, n_off), mu_cap)
        general_counts = 1 + rng.poisson(mu)
        # person indices: members [0, m), general offenders [m, m + n_off)
        general_slots = m + rng.permutation(np.repeat(np.arange(n_off), general_counts))
        n_slots = len(general_slots)
        ks = rng.choice([1, 2, 3], size=n_slots, p=k_p)
        cum = np.cumsum(ks)
        n_gen = int(np.searchsorted(cum, n_slots)) + 1
        ks = ks[:n_gen].copy()
        ks[-1] -= cum[n_gen - 1] - n_slots
        # members' own offending: alone, or now and then with an offender from outside the group
        solo_slots = rng.permutation(np.repeat(np.arange(m), solo))
        n_solo = len(solo_slots)
        with_other = rng.random(n_solo) < 0.12
        solo_events = np.concatenate([np.arange(n_solo), np.flatnonzero(with_other)])
        solo_people = np.concatenate(
            [solo_slots, m + rng.integers(0, n_off, int(with_other.sum()))]
        )
        e3_n = n_gen + n_solo
        offender_slots = np.concatenate([general_slots, solo_people])
        e3_of_slot = np.concatenate([np.repeat(np.arange(n_gen), ks), n_gen + solo_events])
        e3_first = np.concatenate(
            [general_slots[np.concatenate([[0], np.cumsum(ks)[:-1]])], solo_slots]
        )
        first_is_member = e3_first < m
        general_mix = np.flatnonzero(w * self.p_suspect > 0)
        gp = (w * self.p_suspect)[general_mix]
        e3_code = np.where(
            first_is_member,
            self.draw_codes(e3_n, *self.mix(MEMBER_SOLO)),
            self.draw_codes(e3_n, general_mix, gp / gp.sum()),
        )
        e3_time = self.draw_times(
            np.where(first_is_member, FAMILIES.index("evening"), self.family[e3_code])
        )

        # Peripheral associates of each group: general offenders who co-offend with it.
        n_per = np.maximum(1, np.round(self.size * 0.3)).astype(int)
        periphery = m + rng.permutation(n_off)[: n_per.sum()]
        per_start = np.concatenate([[0], np.cumsum(n_per)[:-1]])
        per_pick = per_start[e1_group[ev[to_periphery]]] + (
            rng.random(int(to_periphery.sum())) * n_per[e1_group[ev[to_periphery]]]
        ).astype(int)
        person[to_periphery] = periphery[per_pick]
        periphery_group = np.repeat(np.arange(g), n_per)

        # 4. No identified suspect: a victim only, or nobody at all.
        e4_n = s.events - e1_n - e2_n - e3_n
        e4_n, e4_code, e4_time = self.plant_unidentified(e4_n, w)

        # Event arrays in one order: E1, E2, E3, E4.
        off = np.cumsum([0, e1_n, e2_n, e3_n, e4_n])
        n_events = int(off[-1])
        code = np.concatenate([e1_code, e2_code, e3_code, e4_code])
        seconds = np.concatenate([e1_time, e2_time, e3_time, e4_time])

        # Victims of general crime (E1 robberies and assaults, E3, E4).
        gen_ev = np.concatenate([np.arange(off[0], off[1]), np.arange(off[2], off[4])])
        p_gen_victim = np.minimum(s.victim_scale * self.p_victim[code[gen_ev]], 1.0)
        gen_victim_ev = gen_ev[self.bernoulli(p_gen_victim)]
        if s.more_victims > 0:
            p_more = np.minimum(s.more_victims * self.p_more_victims[code[gen_victim_ev]], 1.0)
            more = gen_victim_ev[self.bernoulli(p_more)]
            gen_victim_ev = np.concatenate([gen_victim_ev, more])
        n_gv = len(gen_victim_ev)
        source = rng.choice(3, size=n_gv, p=[0.95, 0.04, 0.01])  # victims pool, offender, member
        e2_bystander_ev = off[1] + np.flatnonzero(bystander)
        # Witnesses: rival violence often, other violence sometimes; "other" (e.g. a reporter).
        is_rival = (np.arange(n_events) >= off[1]) & (np.arange(n_events) < off[2])
        violent = self.violent_night[code] | is_rival
        witness_ev = np.flatnonzero(violent & self.bernoulli(np.where(is_rival, 0.3, 0.08)))
        other_ev = np.flatnonzero(self.bernoulli(0.01, n_events))
        if s.witnesses > 0:
            n_more = rng.poisson(s.witnesses * self.witness_mean[code])
            witness_ev = np.concatenate([witness_ev, np.repeat(np.arange(n_events), n_more)])
        if s.reporters > 0:
            person_victim = np.zeros(n_events, dtype=bool)
            person_victim[gen_victim_ev] = True
            person_victim[off[1] : off[2]] = True  # rival violence: a member or a bystander
            p_reporter = np.where(person_victim, P_REPORTER[0], P_REPORTER[1])
            reported = self.bernoulli(np.minimum(s.reporters * p_reporter, 1.0))
            other_ev = np.concatenate([other_ev, np.flatnonzero(reported)])

        n_w_slots = len(witness_ev) + len(other_ev)
        # witnesses and callers are often known to the police already: an offender (the
        # victim's or suspect's associate) or someone recorded as a victim elsewhere
        known = np.zeros(n_w_slots, dtype=bool)
        if s.known_witnesses > 0:
            known = self.bernoulli(s.known_witnesses, n_w_slots)
        n_new_slots = n_w_slots - int(known.sum())
        n_witness = max(1, int(round(n_new_slots / s.witness_repeat)))
        n_v_slots = int((source == 0).sum()) + len(e2_bystander_ev)
        n_victims = int(
            np.clip(s.people - m - n_off - n_witness, n_v_slots / s.victim_repeat, n_v_slots)
        )
        n_people = m + n_off + n_victims + n_witness
        v0, w0 = m + n_off, m + n_off + n_victims
        victim_ids = v0 + self.spread(
            n_v_slots - n_victims, n_victims, rng.lognormal(0, 1.3, n_victims)
        )
        witness_ids = np.empty(n_w_slots, dtype=np.int64)
        witness_ids[~known] = w0 + self.spread(
            n_new_slots - n_witness, n_witness, rng.lognormal(0, s.witness_sigma, n_witness)
        )
        if known.any():
            n_known = int(known.sum())
            witness_ids[known] = np.where(
                rng.random(n_known) < 0.5,
                rng.integers(0, v0, n_known),
                v0 + rng.integers(0, n_victims, n_known),
            )

        gv_person = np.empty(n_gv, dtype=np.int64)
        from_pool = np.flatnonzero(source == 0)
        gv_person[from_pool] = victim_ids[: len(from_pool)]
        gv_person[source == 1] = m + rng.integers(0, n_off, int((source == 1).sum()))
        gv_person[source == 2] = rng.integers(0, m, int((source == 2).sum()))
        bystander_person = victim_ids[len(from_pool) :]

        offending_role = lambda n: np.where(rng.random(n) < 0.3, OFFENDER, SUSPECT)  # noqa: E731
        inv_event = np.concatenate(
            [
                off[0] + ev,
                off[1] + ev2,
                off[2] + e3_of_slot,
                off[1] + victim2_ev[~bystander[victim2_ev]],
                e2_bystander_ev,
                gen_victim_ev,
                witness_ev,
                other_ev,
            ]
        )
        inv_person = np.concatenate(
            [
                person,
                person2,
                offender_slots,
                victim2[~bystander[victim2_ev]],
                bystander_person,
                gv_person,
                witness_ids[: len(witness_ev)],
                witness_ids[len(witness_ev) :],
            ]
        )
        inv_role = np.concatenate(
            [
                offending_role(len(person) + len(person2) + len(offender_slots)),
                np.full(
                    len(inv_person)
                    - len(person)
                    - len(person2)
                    - len(offender_slots)
                    - len(witness_ev)
                    - len(other_ev),
                    VICTIM,
                ),
                np.full(len(witness_ev), WITNESS),
                np.full(len(other_ev), OTHER),
            ]
        )
        # one role per person per event: the first given (offending before victim before witness)
        _, first = np.unique(inv_event * n_people + inv_person, return_index=True)
        first.sort()
        inv_event, inv_person, inv_role = inv_event[first], inv_person[first], inv_role[first]

        # Homes: members and periphery in their group's town; everyone else by population.
        home = rng.choice(s.towns, size=n_people, p=self.town_pop / self.town_pop.sum())
        home[:m] = self.group_town[self.member_group]
        home[periphery] = self.group_town[periphery_group]

        lat, lon = self.locate(
            EventsToPlace(
                code=code, seconds=seconds, offsets=off, e1_group=e1_group,
                aggressor=aggressor, target=target, e3_first=e3_first,
                first_is_member=first_is_member, inv_event=inv_event, inv_person=inv_person,
                inv_role=inv_role, home=home,
            )
        )

        # --- people attributes ---
        kind = np.zeros(
            n_people, dtype=np.int8
        )  # 0 member, 1 periphery, 2 offender, 3 victim, 4 witness
        kind[m:v0] = 2
        kind[periphery] = 1
        kind[v0:w0] = 3
        kind[w0:] = 4
        age = np.empty(n_people)
        young = kind <= 1
        age[young] = np.clip(rng.normal(19.5, 3.0, int(young.sum())), 13.5, 32)
        age[kind == 2] = np.clip(12 + rng.gamma(2.2, 9.0, int((kind == 2).sum())), 14, 85)
        nv = int((kind == 3).sum())
        age[kind == 3] = np.where(
            rng.random(nv) < 0.1,
            rng.uniform(3, 16, nv),
            np.clip(16 + rng.gamma(1.8, 15.0, nv), 16, 95),
        )
        age[kind == 4] = np.clip(16 + rng.gamma(2.0, 13.0, int((kind == 4).sum())), 16, 90)
        dob_days = np.round(age * 365.25).astype(np.int64)
        p_male = np.array([0.93, 0.9, 0.8, 0.5, 0.48])[kind]
        male = rng.random(n_people) < p_male
        # Nearly all suspects of recorded sexual offences are men: whoever offends sexually is.
        sexual_offending = (inv_role <= OFFENDER) & self.sexual[code[inv_event]]
        male[inv_person[sexual_offending]] = True
        u = rng.random(n_people)
        eth = (u[:, None] > self.town_ethnic_cdf[home]).sum(1).clip(0, 4)
        eth_missing = rng.random(n_people) < P_ETHNICITY_MISSING

        # Person ids are a random permutation, so ids say nothing about who is who.
        pid_num = rng.permutation(n_people) + 1
        pid = _ids("P", pid_num, max(7, len(str(n_people))))

        # --- associations, memberships, groups ---
        assoc = self.associations(n_off, n_people, periphery, periphery_group)
        memb = self.memberships(n_off, periphery, periphery_group, age)

        # --- frames ---
        order = np.lexsort((np.arange(n_events), seconds))
        rank = np.empty(n_events, dtype=np.int64)
        rank[order] = np.arange(n_events)
        event_id = _ids("E", rank + 1, max(7, len(str(n_events))))
        codes = self.codes
        events = pl.DataFrame(
            {
                "event_id": event_id,
                "occurred_at": pl.from_epoch(
                    pl.Series(seconds + int(START.timestamp())), time_unit="s"
                )
                .dt.replace_time_zone("UTC")
                .cast(pl.Datetime("us", "UTC")),
                "offence_code": codes["offence_code"].gather(code),
                "offence_category": codes["policeuk_category"].gather(code),
                "latitude": lat,
                "longitude": lon,
                "lsoa_code": self.lsoa(lat, lon),
            }
        ).sort("event_id")
        involvements = pl.DataFrame(
            {
                "event_id": event_id.gather(inv_event),
                "person_id": pid.gather(inv_person),
                "role": pl.Series(ROLE_NAMES).gather(inv_role),
            }
        ).sort("event_id", "person_id", "role")
        people = (
            pl.DataFrame(
                {
                    "person_id": pid,
                    "dob_days": dob_days,
                    "sex": np.where(male, "male", "female"),
                    "ethnicity": pl.Series(ETHNICITIES).gather(eth),
                    "missing": eth_missing,
                }
            )
            .select(
                "person_id",
                (pl.lit(END_DATE) - pl.duration(days=pl.col("dob_days")))
                .cast(pl.Date)
                .alias("date_of_birth"),
                "sex",
                pl.when(~pl.col("missing")).then(pl.col("ethnicity")).alias("ethnicity"),
            )
            .sort("person_id")
        )

        a_pid, b_pid = pid.gather(assoc["a"]), pid.gather(assoc["b"])
        swap = (a_pid > b_pid).to_numpy()
        associations = (
            pl.DataFrame(
                {
                    "person_a": pl.Series(np.where(swap, b_pid.to_numpy(), a_pid.to_numpy())),
                    "person_b": pl.Series(np.where(swap, a_pid.to_numpy(), b_pid.to_numpy())),
                    "kind": pl.Series(list(ASSOCIATION_KINDS)).gather(assoc["kind"]),
                    "weight": pl.Series(
                        np.array([v[1] for v in ASSOCIATION_KINDS.values()])[assoc["kind"]]
                    ),
                    "observed_at": _dates(assoc["day"]),
                    "source": pl.Series([v[0] for v in ASSOCIATION_KINDS.values()]).gather(
                        assoc["kind"]
                    ),
                }
            )
            .filter(pl.col("person_a") != pl.col("person_b"))
            .unique(
                ["person_a", "person_b", "kind", "observed_at"], keep="first", maintain_order=True
            )
            .sort("person_a", "person_b", "kind", "observed_at")
        )

        group_id = _ids("G", np.arange(len(self.group_names)) + 1, 4)
        groups = pl.DataFrame(
            {
                "group_id": group_id,
                "name": self.group_names,
                "kind": ["street_group"] * len(self.group_names),
            }
        )
        memberships = (
            pl.DataFrame(
                {
                    "person_id": pid.gather(memb["person"]),
                    "group_id": group_id.gather(memb["group"]),
                    "start": _dates(memb["start"]),
                    "end": _dates(memb["end"]),
                    "source": pl.Series([x for x, _ in MEMBERSHIP_SOURCES]).gather(memb["source"]),
                    "confidence": memb["confidence"],
                }
            )
            .unique(["person_id", "group_id", "start"], keep="first", maintain_order=True)
            .sort("person_id", "group_id", "start")
        )

        extract = Extract.from_frames(
            people=people,
            events=events,
            involvements=involvements,
            associations=associations,
            groups=groups,
            memberships=memberships,
        )

        # --- truth ---
        truth_memberships = pl.DataFrame(
            {
                "person_id": pid.gather(np.arange(m)),
                "group_id": group_id.gather(self.member_group),
            }
        ).sort("person_id")
        rel = np.concatenate([self.rivals, self.allies])
        truth_relations = pl.DataFrame(
            {
                "group_a": group_id.gather(rel[:, 0]),
                "group_b": group_id.gather(rel[:, 1]),
                "kind": ["rivalry"] * len(self.rivals) + ["alliance"] * len(self.allies),
            }
        ).sort("group_a", "group_b")
        # planted rate (expected offences a year): members from their share of their group's
        # events plus their own offending; general offenders from their drawn rate.
        rate = np.zeros(n_people)
        share = self.activity / np.bincount(self.member_group, self.activity)[self.member_group]
        group_slots = np.bincount(e1_group, e1_k, g) + np.bincount(aggressor, e2_k, g)
        rate[:m] = (group_slots[self.member_group] * share + 0.9 * self.activity * YEARS) / YEARS
        rate[m:v0] = (1 + mu) / YEARS
        per_share = np.bincount(e1_group[ev[to_periphery]], minlength=g) / n_per
        rate[periphery] += per_share[periphery_group] / YEARS
        truth_people = pl.DataFrame(
            {
                "person_id": pid,
                "is_group_member": np.arange(n_people) < m,
                "propensity": np.round(rate, 4),
            }
        ).sort("person_id")
        return SyntheticCounty(extract, truth_memberships, truth_relations, truth_people)

    def plant_group_co_offending(self, log_act) -> GroupCoOffending:
        """Events of 2-4 members of one group offending together."""
        rng = self.rng
        g = self.s.groups
        n1 = rng.poisson(self.size * 0.6 * YEARS * self.group_activity)
        e1_group = np.repeat(np.arange(g), n1)
        e1_n = len(e1_group)
        e1_k = np.minimum(
            rng.choice([2, 3, 4], size=e1_n, p=[0.5, 0.33, 0.17]), self.size[e1_group]
        )
        ev, slot, person = self.choose_members(e1_group, e1_k, log_act)
        last = slot == (e1_k[ev] - 1)
        # now and then the last suspect is from an allied group, or a peripheral associate
        has_ally = self.ally_count[e1_group[ev]] > 0
        to_ally = last & has_ally & (rng.random(len(ev)) < 0.05)
        to_periphery = last & ~to_ally & (rng.random(len(ev)) < 0.1)
        person = person.copy()
        person[to_ally] = self.random_member(self.random_ally(e1_group[ev[to_ally]]))
        e1_code = self.draw_codes(e1_n, *self.mix(GROUP_CO_OFFENDING))
        e1_time = self.draw_times(np.full(e1_n, FAMILIES.index("evening")))
        return GroupCoOffending(
            e1_group=e1_group, e1_n=e1_n, e1_k=e1_k, ev=ev, person=person,
            to_periphery=to_periphery, e1_code=e1_code, e1_time=e1_time,
        )

    def plant_rival_violence(self, log_act) -> RivalViolence:
        """Suspects from one group, the victim a member of its rival; a third retaliations."""
        rng = self.rng
        intensity = rng.lognormal(np.log(5.0), 0.6, len(self.rivals))  # events a year
        n2 = rng.poisson(intensity * YEARS)
        e2_pair = np.repeat(np.arange(len(self.rivals)), n2)
        e2_n = len(e2_pair)
        flip = rng.random(e2_n) < 0.5
        e2_time = self.draw_times(np.full(e2_n, FAMILIES.index("evening")))
        # retaliation: a third of attacks answer an earlier attack in the same rivalry, days later
        retaliate = rng.random(e2_n) < 0.35
        pair_start = np.concatenate([[0], np.cumsum(n2)[:-1]])
        parent = pair_start[e2_pair] + (rng.random(e2_n) * n2[e2_pair]).astype(int)
        retaliate &= ~retaliate[parent]
        delay_days = 1 + np.floor(rng.exponential(5.0, e2_n)).astype(np.int64)
        new_time = (e2_time[parent] // 86400 + delay_days) * 86400 + e2_time % 86400
        retaliate &= new_time < SECONDS
        e2_time = np.where(retaliate, new_time, e2_time)
        flip = np.where(retaliate, ~flip[parent], flip)
        aggressor = np.where(flip, self.rivals[e2_pair, 1], self.rivals[e2_pair, 0])
        target = np.where(flip, self.rivals[e2_pair, 0], self.rivals[e2_pair, 1])
        e2_k = np.minimum(
            rng.choice([1, 2, 3], size=e2_n, p=[0.45, 0.35, 0.2]), self.size[aggressor]
        )
        ev2, slot2, person2 = self.choose_members(aggressor, e2_k, log_act)
        victim2_ev, _, victim2 = self.choose_members(target, np.ones(e2_n, int), 0.5 * log_act)
        # a retaliation targets the one who led the attack it answers
        leader = person2[slot2 == 0]
        victim2 = np.where(retaliate, leader[parent], victim2)
        bystander = rng.random(e2_n) < 0.1  # the victim is not a member: the wrong person
        e2_code = self.draw_codes(e2_n, *self.mix(GROUP_RIVAL_VIOLENCE))
        return RivalViolence(
            e2_n=e2_n, e2_k=e2_k, e2_time=e2_time, aggressor=aggressor, target=target, ev2=ev2,
            person2=person2, victim2_ev=victim2_ev, victim2=victim2, bystander=bystander,
            e2_code=e2_code,
        )

    def plant_unidentified(self, e4_n: int, w: np.ndarray) -> Unidentified:
        """``e4_n`` events with no identified suspect: a victim only, or nobody at all (``w``:
        the national mix of offences)."""
        if e4_n < 0:
            raise RuntimeError("synthetic county parameters give more events than the target")
        nosus_mix = np.flatnonzero(w * (1 - self.p_suspect) > 0)
        np_ = (w * (1 - self.p_suspect))[nosus_mix]
        e4_code = self.draw_codes(e4_n, nosus_mix, np_ / np_.sum())
        e4_time = self.draw_times(self.family[e4_code])
        return Unidentified(e4_n=e4_n, e4_code=e4_code, e4_time=e4_time)

    def locate(self, events: EventsToPlace) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude of every event: territories, town centres, estates, homes."""
        rng, s = self.rng, self.s
        code, seconds, off = events.code, events.seconds, events.offsets
        e1_group, aggressor, target = events.e1_group, events.aggressor, events.target
        e3_first, first_is_member = events.e3_first, events.first_is_member
        inv_event, inv_person, inv_role = events.inv_event, events.inv_person, events.inv_role
        home = events.home
        n = len(code)
        south, north, west, east = s.box
        lat_c, lon_c, sigma = np.empty(n), np.empty(n), np.empty(n)
        e1 = np.arange(off[0], off[1])
        lat_c[e1], lon_c[e1], sigma[e1] = self.terr_lat[e1_group], self.terr_lon[e1_group], 0.005
        # rival violence: in either territory, or in the victim's town centre
        e2 = np.arange(off[1], off[2])
        where = rng.choice(3, size=len(e2), p=[0.45, 0.45, 0.1])
        grp = np.where(where == 0, aggressor, target)
        lat_c[e2] = np.where(where == 2, self.town_lat[self.group_town[target]], self.terr_lat[grp])
        lon_c[e2] = np.where(where == 2, self.town_lon[self.group_town[target]], self.terr_lon[grp])
        sigma[e2] = np.where(where == 2, 0.004, 0.005)
        # general crime: the first suspect's or victim's home town; otherwise by population
        gen = np.arange(off[2], off[4])
        town = rng.choice(s.towns, size=n, p=self.town_pop / self.town_pop.sum())
        anchor = np.full(n, -1, dtype=np.int64)
        victims = inv_role == VICTIM
        anchor[inv_event[victims]] = inv_person[victims]
        e3 = np.arange(off[2], off[3])
        anchor[e3] = e3_first
        has_anchor = anchor >= 0
        town[has_anchor] = home[anchor[has_anchor]]
        hour_idx = seconds // 3600
        night = (
            self.weekend_night[hour_idx]
            | (self.local_hour[hour_idx] >= 21)
            | (self.local_hour[hour_idx] < 3)
        )
        p_centre = np.where(
            self.violent_night[code] & night, P_CENTRE_NIGHT_VIOLENCE, self.p_centre[code]
        )
        r = rng.random(n)
        centre = r < p_centre
        estate = ~centre & (r < p_centre + 0.35 * (1 - p_centre))
        est = self.est_start[town] + (rng.random(n) * self.est_count[town]).astype(int)
        lat_g = np.where(
            centre, self.town_lat[town], np.where(estate, self.est_lat[est], self.town_lat[town])
        )
        lon_g = np.where(
            centre, self.town_lon[town], np.where(estate, self.est_lon[est], self.town_lon[town])
        )
        sig_g = np.where(centre, 0.004, np.where(estate, 0.005, self.town_sigma[town]))
        lat_c[gen], lon_c[gen], sigma[gen] = lat_g[gen], lon_g[gen], sig_g[gen]
        # members offending alone: mostly on their own territory
        own = e3[first_is_member & (rng.random(len(e3)) < 0.55)]
        grp3 = self.member_group[e3_first[own - off[2]]]
        lat_c[own], lon_c[own], sigma[own] = self.terr_lat[grp3], self.terr_lon[grp3], 0.005
        lat = lat_c + rng.normal(0, 1, n) * sigma
        lon = lon_c + rng.normal(0, 1, n) * sigma / self.lon_scale
        # a few general events anywhere in the county (rural crime, roads)
        rural = np.zeros(n, dtype=bool)
        rural[gen] = rng.random(len(gen)) < 0.03
        lat[rural] = rng.uniform(south, north, int(rural.sum()))
        lon[rural] = rng.uniform(west, east, int(rural.sum()))
        eps = 1e-6
        # six decimals (about 10 cm), as stored; the LSOA is computed from the stored point
        lat = np.round(np.clip(lat, south + eps, north - eps), 6)
        lon = np.round(np.clip(lon, west + eps, east - eps), 6)
        return lat, lon

    def lsoa(self, lat: np.ndarray, lon: np.ndarray) -> pl.Series:
        south, north, west, east = self.s.box
        rows, cols = self.s.grid
        r = np.clip(((lat - south) / (north - south) * rows).astype(int), 0, rows - 1)
        c = np.clip(((lon - west) / (east - west) * cols).astype(int), 0, cols - 1)
        return _ids("E01", 900_000 + r * cols + c, 6)

    def associations(self, n_off, n_people, periphery, periphery_group) -> dict[str, np.ndarray]:
        """Intelligence links: mostly inside groups, some across allies, rivals and beyond."""
        rng, m = self.rng, self.n_members
        kinds = list(ASSOCIATION_KINDS)
        p_kind = np.array([v[2] for v in ASSOCIATION_KINDS.values()])
        parts_a, parts_b, parts_k = [], [], []

        def add(a: np.ndarray, b: np.ndarray, kind: np.ndarray) -> None:
            parts_a.append(a)
            parts_b.append(b)
            parts_k.append(kind)

        # within groups: every member has one or more links to fellow members
        n_links = 2 + rng.poisson(6.0, m)
        a = np.repeat(np.arange(m), n_links)
        grp = self.member_group[a]
        shift = 1 + (rng.random(len(a)) * (self.size[grp] - 1)).astype(int)
        b = self.start[grp] + (a - self.start[grp] + shift) % self.size[grp]
        add(a, b, rng.choice(len(kinds), size=len(a), p=p_kind))
        # allies: a few links between their members
        if len(self.allies):
            n_al = rng.poisson(1.0, len(self.allies))
            ga, gb = np.repeat(self.allies[:, 0], n_al), np.repeat(self.allies[:, 1], n_al)
            add(
                self.random_member(ga),
                self.random_member(gb),
                rng.choice(
                    [kinds.index("seen_together"), kinds.index("social_media")], size=len(ga)
                ),
            )
        # rivals: threats on social media
        n_rv = rng.poisson(0.5, len(self.rivals))
        ga, gb = np.repeat(self.rivals[:, 0], n_rv), np.repeat(self.rivals[:, 1], n_rv)
        add(
            self.random_member(ga),
            self.random_member(gb),
            np.full(len(ga), kinds.index("social_media")),
        )
        # peripheral associates: seen with members of their group
        n_pe = 1 + rng.poisson(1.0, len(periphery))
        pa = np.repeat(periphery, n_pe)
        add(
            pa,
            self.random_member(np.repeat(periphery_group, n_pe)),
            rng.choice(
                [kinds.index("seen_together"), kinds.index("stop_search_together")], size=len(pa)
            ),
        )
        # members' links outside groups: friends who offend, siblings
        out = np.flatnonzero(rng.random(m) < 0.15)
        sib = rng.random(len(out)) < 0.4
        other = np.where(
            sib, rng.integers(m, n_people, len(out)), m + rng.integers(0, n_off, len(out))
        )
        add(out, other, np.where(sib, kinds.index("sibling"), kinds.index("seen_together")))
        # the wider population: offenders seen together, siblings
        n_gen = int(0.08 * n_off)
        add(
            m + rng.integers(0, n_off, n_gen),
            m + rng.integers(0, n_off, n_gen),
            np.full(n_gen, kinds.index("seen_together")),
        )
        n_sib = int(0.01 * n_people)
        add(
            rng.integers(m, n_people, n_sib),
            rng.integers(m, n_people, n_sib),
            np.full(n_sib, kinds.index("sibling")),
        )

        a, b, kind = np.concatenate(parts_a), np.concatenate(parts_b), np.concatenate(parts_k)
        day = rng.integers(0, SECONDS // 86400, len(a))
        return {"a": a, "b": b, "kind": kind, "day": day}

    def memberships(self, n_off, periphery, periphery_group, age) -> dict[str, np.ndarray]:
        """Recorded memberships: partial, with mislabelled associates and stale records."""
        rng, m, g = self.rng, self.n_members, self.s.groups
        days = SECONDS // 86400
        n_defunct = self.n_defunct
        parts: list[tuple[np.ndarray, ...]] = []

        def add(person, group, start, end, confidence) -> None:
            src = rng.choice(
                len(MEMBERSHIP_SOURCES), size=len(person), p=[p for _, p in MEMBERSHIP_SOURCES]
            )
            parts.append((person, group, start, end, np.round(confidence, 2), src))

        # about two thirds of true members are recorded, most recently, none before age 12
        rec = np.flatnonzero(rng.random(m) < 0.68)
        earliest = np.maximum(-365 * 3, np.round((12 - age[rec]) * 365.25).astype(int) + days)
        start = rng.integers(np.minimum(earliest, days - 60), days - 30)
        add(
            rec,
            self.member_group[rec],
            start,
            np.full(len(rec), NO_DATE),
            0.3 + 0.7 * rng.beta(4, 1.5, len(rec)),
        )
        # peripheral associates recorded as members of the group they hang around with
        wrong = rng.random(len(periphery)) < 0.2
        add(
            periphery[wrong],
            periphery_group[wrong],
            rng.integers(-365, days - 30, int(wrong.sum())),
            np.full(int(wrong.sum()), NO_DATE),
            0.3 + 0.7 * rng.beta(2, 3, int(wrong.sum())),
        )
        # members recorded in an allied group too
        cand = rec[self.ally_count[self.member_group[rec]] > 0]
        mis = cand[rng.random(len(cand)) < 0.05]
        add(
            mis,
            self.random_ally(self.member_group[mis]),
            rng.integers(-365, days - 30, len(mis)),
            np.full(len(mis), NO_DATE),
            0.3 + 0.7 * rng.beta(2, 3, len(mis)),
        )
        # former members (now general offenders) with an end date, and defunct groups
        n_stale = max(2, int(round(0.08 * len(rec))))
        stale_person = m + rng.choice(n_off, size=n_stale + 8 * n_defunct, replace=False)
        stale_group = np.concatenate(
            [rng.integers(0, g, n_stale), g + rng.integers(0, n_defunct, 8 * n_defunct)]
        )
        start = rng.integers(-365 * 6, -365, len(stale_person))
        end = np.minimum(start + rng.integers(180, 365 * 3, len(stale_person)), days - 365)
        add(stale_person, stale_group, start, end, 0.3 + 0.7 * rng.beta(2, 2, len(stale_person)))

        cols = list(zip(*parts, strict=True))
        person, group, start, end, confidence, src = (np.concatenate(c) for c in cols)
        return {
            "person": person,
            "group": group,
            "start": start,
            "end": end,
            "confidence": confidence,
            "source": src,
        }


def _capped_lognormal_mean(median: float, sigma: float, cap: float) -> float:
    """E[min(X, cap)] for X lognormal with the given median and log-scale sigma."""
    mu = math.log(median)
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    z = (math.log(cap) - mu) / sigma
    return math.exp(mu + sigma**2 / 2) * phi(z - sigma) + cap * (1 - phi(z))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    return prefix + pl.Series(numbers).cast(pl.String).str.zfill(width)


NO_DATE = -(10**6)


def _dates(days: np.ndarray) -> pl.Series:
    """Days since START as dates; ``NO_DATE`` gives null."""
    frame = pl.DataFrame({"d": np.asarray(days, dtype=np.int64)})
    return frame.select(
        pl.when(pl.col("d") != NO_DATE)
        .then(pl.lit(START.date()) + pl.duration(days=pl.col("d")))
        .cast(pl.Date)
    ).to_series()
