"""What counts as violence, as one value the analysis and the web layer share.

A harm table decides it (``HarmTable.is_violent``: by Home Office code when the table
classifies the code, else by offence category). An analysis run records the definition of the
table it used, so group-violence flags and meeting agendas built from that run's data say
"violent" about exactly the events its selection criteria did.
"""

from __future__ import annotations

from dataclasses import dataclass

from .harm_tables import HarmTable, category_key, code_key


@dataclass(frozen=True)
class Violence:
    classified_codes: frozenset[str]
    violent_codes: frozenset[str]
    violent_categories: frozenset[str]

    @classmethod
    def of(cls, table: HarmTable) -> Violence:
        return cls(table.classified_codes, table.violent_codes, table.violent_categories)

    @classmethod
    def from_json(cls, data: dict) -> Violence:
        return cls(*(frozenset(data.get(name, ())) for name in
                     ("classified_codes", "violent_codes", "violent_categories")))

    def to_json(self) -> dict[str, list[str]]:
        return {"classified_codes": sorted(self.classified_codes),
                "violent_codes": sorted(self.violent_codes),
                "violent_categories": sorted(self.violent_categories)}

    def counts(self, offence_code: str | None, offence_category: str | None) -> bool:
        """One offence, by ``HarmTable.is_violent``'s rule."""
        code = code_key(offence_code) if offence_code is not None else None
        if code is not None and code in self.classified_codes:
            return code in self.violent_codes
        if offence_category is None:
            return False
        return category_key(offence_category) in self.violent_categories
