"""The MRA network as a graph to draw: economies on a circle, an edge per bilateral
arrangement, a hub per plurilateral one (ASEAN AAMRA) joined to its parties. Pure layout, no
Django: the programmes page draws it as SVG, with the arrangements as a table beside it.

Names follow APEC usage for member economies ("Hong Kong, China", "Chinese Taipei"), since
the users are APEC's customs services; other economies take their ISO 3166 common name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pycountry

from greenlane.core.certification.mras import Arrangement, said
from greenlane.core.words import Words, _

#: APEC's 21 member economies (ISO 3166 codes).
APEC = frozenset({
    "AU", "BN", "CA", "CL", "CN", "HK", "ID", "JP", "KR", "MY", "MX", "NZ", "PG", "PE", "PH",
    "RU", "SG", "TW", "TH", "US", "VN",
})  # fmt: skip
DASH = "\u2013"
#: Names Greenlane gives rather than ISO's (APEC usage), translated where they are shown;
#: other economies take ISO 3166's name (translated with pycountry's catalogues in ``apps``).
ECONOMY_WORDS: dict[str, Words] = {
    "EU": _("European Union"),
    "HK": _("Hong Kong, China"),
    "TW": _("Chinese Taipei"),
    "KR": _("Korea"),
    "RU": _("Russia"),
    "VN": _("Viet Nam"),
    "US": _("United States"),
    "GB": _("United Kingdom"),
    "MD": _("Moldova"),
    "BN": _("Brunei Darussalam"),
    "PG": _("Papua New Guinea"),
}


def economy_name(code: str) -> str:
    """The economy's name in English."""
    if code in ECONOMY_WORDS:
        return str(ECONOMY_WORDS[code])
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
    #: "Korea - United States: signed June 2010, in effect unknown" (an en dash), translated
    #: where it is shown (``str()``: English).
    title: Words
    arrangement: str


@dataclass(frozen=True)
class Network:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    radius: float

    @property
    def economies(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if not n.hub)

    def summary(self) -> Words:
        """One sentence for the drawing's text alternative (translated where shown)."""
        apec = sum(1 for n in self.economies if n.apec)
        bilateral = sum(1 for e in self.edges if not (e.a.hub or e.b.hub))
        hubs = [n.name for n in self.nodes if n.hub]
        counts = {"economies": len(self.economies), "apec": apec, "bilateral": bilateral}
        if hubs:
            return _(
                "%(economies)s economies (%(apec)s of them APEC members) joined by "
                "%(bilateral)s bilateral arrangements, and %(plurilateral)s plurilateral "
                "(%(names)s).",
                plurilateral=len(hubs),
                names=", ".join(hubs),
                **counts,
            )
        return _(
            "%(economies)s economies (%(apec)s of them APEC members) joined by "
            "%(bilateral)s bilateral arrangements.",
            **counts,
        )


def _title(a: str, b: str, mra: Arrangement) -> Words:
    """An edge's title: its two ends (economies, or an arrangement and an economy) and when
    the arrangement was signed and came into effect."""
    return _(
        "%(pair)s: signed %(signed)s, in effect %(in_effect)s",
        pair=f"{a} {DASH} {b}",  # names, not words: no translation of the dash between them
        signed=said(mra.signed),
        in_effect=said(mra.in_effect),
    )


def network(
    arrangements: Sequence[Arrangement],
    programmes: Iterable[tuple[str, str]],
    radius: float = 260.0,
    name: Callable[[str], str] = economy_name,
) -> Network:
    """The graph of ``arrangements``; ``programmes``: (economy, programme id) of the encoded
    programmes, whose economies appear even without an arrangement. APEC economies come
    first around the circle, then the others, each by ``name`` (an economy's name from its
    code: English unless a page gives its reader's)."""
    encoded = dict(programmes)
    codes = set(encoded) | {p.economy for mra in arrangements for p in mra.parties}
    names = {c: name(c) for c in codes}
    ordered = sorted(codes, key=lambda c: (c not in APEC, names[c]))
    places: dict[str, Node] = {}
    for i, code in enumerate(ordered):
        angle = 2 * math.pi * i / max(len(ordered), 1) - math.pi / 2
        places[code] = Node(
            code, names[code], round(radius * math.cos(angle), 1),
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
            edges.append(Edge(hub, end, _title(mra.name, end.name, mra), mra.id))
    for mra in arrangements:
        if mra.kind != "bilateral":
            continue
        a, b = (places[p.economy] for p in mra.parties)
        edges.append(Edge(a, b, _title(a.name, b.name, mra), mra.id))
    return Network(tuple(nodes), tuple(edges), radius)
