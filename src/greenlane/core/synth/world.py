"""Fixed reference data of the synthetic economy: offices, goods, countries, AEO programmes.

Figures are plausible orders of magnitude chosen for the simulation, not statistics of any
country. Mode codes follow UN/ECE Recommendation 19 (1 sea, 3 road, 4 air, 5 post).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    mode: str
    share: float  # share of declarations lodged here
    speed: float  # >1 is slower than average (staffing, congestion)


OFFICES: tuple[Office, ...] = (
    Office("SEA1", "Main Seaport", "1", 0.32, 0.9),
    Office("SEA2", "Second Seaport", "1", 0.14, 1.25),
    Office("AIR1", "International Airport Cargo", "4", 0.30, 0.8),
    Office("ICD1", "Inland Container Depot", "3", 0.10, 1.0),
    Office("LND1", "Land Border Post", "3", 0.08, 1.4),
    Office("PST1", "International Mail Centre", "5", 0.06, 1.5),
)


@dataclass(frozen=True)
class Chapter:
    code: str
    title: str
    price_per_kg: float  # median customs value per kg
    mass_kg: float  # median net mass of a consignment
    mfn_rate: float  # most-favoured-nation duty, % ad valorem
    other_agency: bool  # a sanitary, phytosanitary, health or product-safety agency checks it


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("03", "Fish and crustaceans", 6.0, 2000, 16.0, True),
    Chapter("08", "Edible fruit and nuts", 3.0, 5000, 30.0, True),
    Chapter("09", "Coffee, tea and spices", 8.0, 1000, 8.0, True),
    Chapter("22", "Beverages and spirits", 4.0, 3000, 20.0, True),
    Chapter("30", "Pharmaceutical products", 200.0, 50, 2.0, True),
    Chapter("33", "Cosmetics and perfumery", 40.0, 200, 8.0, True),
    Chapter("39", "Plastics", 3.0, 8000, 6.5, False),
    Chapter("40", "Rubber and tyres", 4.0, 5000, 8.0, False),
    Chapter("42", "Leather goods and bags", 60.0, 300, 13.0, False),
    Chapter("44", "Wood", 1.0, 20000, 5.0, True),
    Chapter("48", "Paper and paperboard", 1.5, 10000, 3.0, False),
    Chapter("61", "Knitted apparel", 30.0, 500, 13.0, False),
    Chapter("62", "Woven apparel", 35.0, 500, 13.0, False),
    Chapter("64", "Footwear", 25.0, 800, 13.0, False),
    Chapter("69", "Ceramic products", 2.0, 6000, 8.0, False),
    Chapter("72", "Iron and steel", 0.8, 40000, 8.0, False),
    Chapter("73", "Articles of iron or steel", 3.0, 5000, 8.0, False),
    Chapter("76", "Aluminium", 3.5, 6000, 8.0, False),
    Chapter("84", "Machinery", 30.0, 1500, 8.0, False),
    Chapter("85", "Electrical equipment", 60.0, 600, 8.0, False),
    Chapter("87", "Vehicles and parts", 12.0, 3000, 8.0, False),
    Chapter("90", "Optical and medical instruments", 150.0, 100, 8.0, False),
    Chapter("94", "Furniture", 5.0, 3000, 8.0, False),
    Chapter("95", "Toys and sports goods", 10.0, 1000, 8.0, False),
)
HS_PER_CHAPTER = 10

# Countries goods come from, with their share of the home country's imports.
ORIGINS: tuple[tuple[str, float], ...] = (
    ("CN", 0.30), ("US", 0.10), ("JP", 0.08), ("VN", 0.08), ("DE", 0.05), ("TW", 0.05),
    ("IN", 0.04), ("TH", 0.03), ("ID", 0.03), ("MY", 0.03), ("IT", 0.03), ("FR", 0.03),
    ("GB", 0.03), ("AU", 0.03), ("NL", 0.02), ("MX", 0.02), ("BR", 0.02), ("CL", 0.03),
)  # fmt: skip
# Origins whose goods enter at a preferential rate (share of the MFN rate that is charged).
PREFERENCE: dict[str, float] = {
    "VN": 0.0, "US": 0.0, "AU": 0.0, "CL": 0.0, "DE": 0.2, "FR": 0.2, "IT": 0.2, "NL": 0.2,
    "GB": 0.2, "IN": 0.5, "TH": 0.5, "ID": 0.5, "MY": 0.5,
}  # fmt: skip
# Where transshipped goods are dispatched from.
HUBS: tuple[str, ...] = ("SG", "HK", "NL", "AE", "MY")
# Import VAT, % of customs value plus duty: undervaluation evades it even on duty-free goods.
IMPORT_VAT = 10.0

DOMESTIC_PROGRAMME = "kr-aeo"
DOMESTIC_TIERS: tuple[tuple[str, float], ...] = (("A", 0.55), ("AA", 0.30), ("AAA", 0.15))
# Partner programmes whose AEOs the home administration recognises under an MRA, with the
# tier their sellers hold, named as the criteria catalogue names it (an MRA limited to some
# tiers is checked against these ids). Mexico's OEA certifies by line of business (rubro);
# "AAA" there is a grade of the VAT/excise certification, not an OEA tier.
PARTNER_PROGRAMMES: dict[str, tuple[str, str]] = {
    "DE": ("eu-aeo", "AEOC-AEOS"), "FR": ("eu-aeo", "AEOC-AEOS"), "IT": ("eu-aeo", "AEOS"),
    "NL": ("eu-aeo", "AEOC-AEOS"), "US": ("us-ctpat", "tier-2"), "JP": ("jp-aeo", "exporter"),
    "CN": ("cn-aeo", "advanced"), "IN": ("in-aeo", "T2"), "MX": ("mx-oea", "importer-exporter"),
}  # fmt: skip

SIZE_CLASSES: tuple[tuple[str, float, int, int], ...] = (
    # name, share of importers, min and max headcount
    ("micro", 0.35, 1, 9),
    ("small", 0.30, 10, 49),
    ("medium", 0.20, 50, 249),
    ("large", 0.15, 250, 5000),
)

NAME_STEMS = (
    "Han", "Seo", "Mirae", "Daehan", "Blue", "Green", "Pacific", "Orient", "Nova", "Sun",
    "River", "Stone", "Harbor", "Silk", "Crane", "Lotus", "Summit", "Vector", "Apex", "Delta",
    "Cedar", "Maple", "Pine", "Ocean", "Star", "Bright", "Union", "Global", "Unity", "Kite",
)  # fmt: skip
NAME_TRADES = (
    "Trading", "Logistics", "Foods", "Textiles", "Electronics", "Machinery", "Chemicals",
    "Steel", "Timber", "Pharma", "Motors", "Imports", "Industries", "Materials", "Retail",
)  # fmt: skip
LEGAL_FORMS: dict[str, str] = {
    "DE": "GmbH", "FR": "SAS", "IT": "S.r.l.", "NL": "B.V.", "GB": "Ltd", "US": "Inc.",
    "MX": "S.A. de C.V.", "BR": "Ltda.", "CN": "Co., Ltd.", "JP": "K.K.",
}  # fmt: skip
