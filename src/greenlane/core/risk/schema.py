"""The declaration schema every ingested file is mapped onto.

Field names follow the WCO Data Model where one exists. Each field has a kind that decides how
raw text is parsed and checked; ``required`` fields must be present on every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pycountry


class Kind(Enum):
    TEXT = "text"
    DATE = "date"
    NUMBER = "number"
    HS6 = "hs6"
    COUNTRY = "country"
    MODE = "mode"
    FLAG = "flag"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool
    title: str
    minimum: float | None = None
    maximum: float | None = None


DECLARATION_FIELDS: tuple[Field, ...] = (
    Field("number", Kind.TEXT, True, "Declaration number (UCR or national number)"),
    Field("declaration_date", Kind.DATE, True, "Date of acceptance of the declaration"),
    Field("office_code", Kind.TEXT, True, "Customs office of lodgement"),
    Field("transport_mode", Kind.MODE, False, "Mode of transport at the border (UN/ECE Rec. 19)"),
    Field("declarant_code", Kind.TEXT, False, "Declarant (customs broker) identifier"),
    Field("importer_code", Kind.TEXT, True, "Importer identifier"),
    Field("seller_code", Kind.TEXT, False, "Seller (foreign exporter) identifier"),
    Field("hs6", Kind.HS6, True, "Commodity code, HS 6 digits"),
    Field("origin_country", Kind.COUNTRY, True, "Country of origin (ISO 3166-1 alpha-2)"),
    Field("dispatch_country", Kind.COUNTRY, False, "Country of dispatch/departure"),
    # Maximums follow the database columns' precision, so no value can overflow them.
    Field(
        "quantity", Kind.NUMBER, False, "Quantity in supplementary units", minimum=0, maximum=1e11
    ),
    Field("net_mass_kg", Kind.NUMBER, True, "Net mass in kilograms", minimum=0, maximum=1e11),
    Field("customs_value", Kind.NUMBER, True, "Customs value", minimum=0, maximum=1e16),
    Field("tax_rate", Kind.NUMBER, False, "Duty rate, % ad valorem", minimum=0, maximum=1000),
    Field("duty_amount", Kind.NUMBER, False, "Duty assessed", minimum=0, maximum=1e16),
)
LABEL_FIELDS: tuple[Field, ...] = (
    Field("fraud", Kind.FLAG, False, "An inspection found an irregularity"),
    Field("critical", Kind.FLAG, False, "The irregularity was critical"),
    Field("revenue_recovered", Kind.NUMBER, False, "Revenue recovered", minimum=0, maximum=1e14),
    Field("inspected_on", Kind.DATE, False, "Date of the inspection result"),
)
FIELDS = {f.name: f for f in DECLARATION_FIELDS + LABEL_FIELDS}
TRANSPORT_MODES = frozenset("123456789")
#: The words pages show for the UN/ECE Recommendation 19 codes, which an API caller may send
#: instead of the code (lower case; the pages' own words).
TRANSPORT_MODE_WORDS = {
    "sea": "1", "rail": "2", "road": "3", "air": "4", "post": "5", "multimodal": "6",
    "fixed installation": "7", "inland waterway": "8", "unknown": "9",
}  # fmt: skip
# ISO 3166-1 codes, plus codes customs data use outside the standard list: ZZ (user-assigned,
# "unknown or unspecified"), EU (exceptionally reserved; EU origin) and XK (Kosovo).
COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries) | {"ZZ", "EU", "XK"}
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "f"})
