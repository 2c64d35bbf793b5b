"""The MRA network drawn on the programmes page: every economy once, an edge per bilateral
arrangement, a hub per plurilateral one joined to each party, APEC members marked."""

from __future__ import annotations

import math

from greenlane.core.certification.mras import shipped_mras
from greenlane.core.certification.network import APEC, economy_name, network


def test_the_network_has_each_party_once_and_an_edge_per_party_pair_or_hub_spoke() -> None:
    arrangements = shipped_mras()
    graph = network(arrangements, [("KR", "kr-aeo"), ("FJ", "fj-aeo")])
    codes = [n.code for n in graph.economies]
    assert len(codes) == len(set(codes))
    assert set(codes) == {p.economy for a in arrangements for p in a.parties} | {"KR", "FJ"}
    hubs = [n for n in graph.nodes if n.hub]
    assert len(hubs) == sum(1 for a in arrangements if a.kind == "plurilateral")
    spokes = sum(len(a.parties) for a in arrangements if a.kind == "plurilateral")
    assert len(graph.edges) == spokes + sum(1 for a in arrangements if a.kind == "bilateral")
    assert all(n.apec == (n.code in APEC) for n in graph.economies)
    assert next(n for n in graph.economies if n.code == "KR").programme == "kr-aeo"
    summary = graph.summary()
    assert f"{len(codes)} economies" in str(summary)
    assert summary.params["economies"] == len(codes)  # a count, written the reader's way
    edge = next(e for e in graph.edges if not (e.a.hub or e.b.hub))
    assert str(edge.title).startswith(f"{edge.a.name} \u2013 {edge.b.name}: signed ")


def test_a_page_may_name_the_economies_in_its_reader_s_language() -> None:
    graph = network(shipped_mras(), [("KR", "kr-aeo")], name=lambda code: f"<{code}>")
    korea = next(n for n in graph.economies if n.code == "KR")
    assert korea.name == "<KR>"
    assert all(str(e.title).count("<") >= 1 for e in graph.edges)


def test_economies_sit_on_the_circle_apec_members_first_and_labels_point_outwards() -> None:
    graph = network(shipped_mras(), [])
    economies = graph.economies
    for node in economies:
        assert math.isclose(math.hypot(node.x, node.y), graph.radius, abs_tol=0.2)
    apec = [n.apec for n in economies]
    assert apec == sorted(apec, reverse=True)  # every member before every other economy
    for node in economies:
        turn = float(node.label_transform.split("rotate(")[1].rstrip(")"))
        assert -90.01 <= turn <= 90.01  # never upside down


def test_members_go_by_their_apec_names() -> None:
    assert economy_name("TW") == "Chinese Taipei"
    assert economy_name("HK") == "Hong Kong, China"
    assert economy_name("EU") == "European Union"
    assert economy_name("FR") == "France"
