"""The MRA network as a graph to draw: economies on a circle, an edge per bilateral
arrangement, a hub per plurilateral one (ASEAN AAMRA) joined to its parties. Pure layout, no
Django: the programmes page draws it as SVG, with the arrangements as a table beside it.

Names follow APEC usage for member economies ("Hong Kong, China", "Chinese Taipei"), since
the users are APEC's customs services; other economies take their ISO 3166 common name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pycountry

from greenlane.core.certification.mras import Arrangement, spoken

#: APEC's 21 member economies (ISO 3166 codes).
APEC = frozenset({
    "AU", "BN", "CA", "CL", "CN", "HK", "ID", "JP", "KR", "MY", "MX", "NZ", "PG", "PE", "PH",
    "RU", "SG", "TW", "TH", "US", "VN",
})  # fmt: skip
DASH = "\u2013"
_NAMES = {
    "EU": "European Union",
    "HK": "Hong Kong, China",
    "TW": "Chinese Taipei",
    "KR": "Korea",
    "RU": "Russia",
    "VN": "Viet Nam",
    "US": "United States",
    "GB": "United Kingdom",
    "MD": "Moldova",
    "BN": "Brunei Darussalam",
    "PG": "Papua New Guinea",
}


def economy_name(code: str) -> str:
    if code in _NAMES:
        return _NAMES[code]
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    x: float
    y: float
    apec: bool
    programme: str | None  # the catalogue programme of this economy, when encoded
    hub: bool = False  # a plurilateral arrangement, not an economy

    @property
    def _right(self) -> bool:
        return self.x >= -0.01

    @property
    def label_transform(self) -> str:
        """The label written outwards along the node's radius (read left to right on both
        sides), so that neighbours near the top and bottom do not overlap."""
        angle = math.degrees(math.atan2(self.y, self.x))
        length = math.hypot(self.x, self.y) or 1.0
        gap = 10 / length
        x, y = round(self.x * (1 + gap), 1), round(self.y * (1 + gap), 1)
        turn = (angle if self._right else angle + 180) % 360
        turn = turn - 360 if turn > 180 else turn  # between -90 and 90: never upside down
        return f"translate({x} {y}) rotate({round(turn, 1)})"

    @property
    def anchor(self) -> str:
        return "start" if self._right else "end"

    @property
    def width(self) -> int:
        """A hub's box, wide enough for its name."""
        return 16 + 7 * len(self.name)


@dataclass(frozen=True)
class Edge:
    a: Node
    b: Node
    title: str  # "Korea - United States: signed June 2010, in effect unknown" (an en dash)
    arrangement: str


@dataclass(frozen=True)
class Network:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    radius: float

    @property
    def economies(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if not n.hub)

    def summary(self) -> str:
        """One sentence for the drawing's text alternative."""
        apec = sum(1 for n in self.economies if n.apec)
        bilateral = sum(1 for e in self.edges if not (e.a.hub or e.b.hub))
        hubs = [n.name for n in self.nodes if n.hub]
        plural = f", and {len(hubs)} plurilateral ({', '.join(hubs)})" if hubs else ""
        return (
            f"{len(self.economies)} economies ({apec} of them APEC members) joined by "
            f"{bilateral} bilateral arrangements{plural}."
        )


def _dates(mra: Arrangement) -> str:
    return f"signed {spoken(mra.signed)}, in effect {spoken(mra.in_effect)}"


def network(
    arrangements: Sequence[Arrangement],
    programmes: Iterable[tuple[str, str]],
    radius: float = 260.0,
) -> Network:
    """The graph of ``arrangements``; ``programmes``: (economy, programme id) of the encoded
    programmes, whose economies appear even without an arrangement. APEC economies come
    first around the circle, then the others, each by name."""
    encoded = dict(programmes)
    codes = set(encoded) | {p.economy for mra in arrangements for p in mra.parties}
    ordered = sorted(codes, key=lambda c: (c not in APEC, economy_name(c)))
    places: dict[str, Node] = {}
    for i, code in enumerate(ordered):
        angle = 2 * math.pi * i / max(len(ordered), 1) - math.pi / 2
        places[code] = Node(
            code, economy_name(code), round(radius * math.cos(angle), 1),
            round(radius * math.sin(angle), 1), code in APEC, encoded.get(code),
        )  # fmt: skip
    hubs = [mra for mra in arrangements if mra.kind == "plurilateral"]
    nodes = [places[c] for c in ordered]
    edges: list[Edge] = []
    for k, mra in enumerate(hubs):
        angle = 2 * math.pi * k / len(hubs)
        inner = 0.0 if len(hubs) == 1 else radius * 0.25
        hub = Node(
            mra.id, mra.name, round(inner * math.cos(angle), 1),
            round(inner * math.sin(angle), 1), False, None, hub=True,
        )  # fmt: skip
        nodes.append(hub)
        for party in mra.parties:
            end = places[party.economy]
            edges.append(Edge(hub, end, f"{mra.name} {DASH} {end.name}: {_dates(mra)}", mra.id))
    for mra in arrangements:
        if mra.kind != "bilateral":
            continue
        a, b = (places[p.economy] for p in mra.parties)
        edges.append(Edge(a, b, f"{a.name} {DASH} {b.name}: {_dates(mra)}", mra.id))
    return Network(tuple(nodes), tuple(edges), radius)
