"""Scoring what is stored, in bulk: the COPY reader gives the model what the ORM gives it,
the bulk writer keeps a score already there, and the relations hold without database
foreign keys (decision 0021)."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.db import transaction
from django.db.models import F, ProtectedError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenlane import demo
from greenlane.apps.declarations.models import Declaration
from greenlane.apps.targeting import data, scoring, services
from greenlane.apps.targeting.models import Score
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    | st.sampled_from(',"\n\\\t'),
    max_size=12,
)
ATTRIBUTES = st.dictionaries(
    st.sampled_from(["incoterm", "container", "licence"]),
    st.one_of(TEXT, st.integers(-1000, 1000)),
    max_size=3,
)
MONEY = st.none() | st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False)


@st.composite
def rows(draw: st.DrawFn) -> dict[str, object]:
    return {
        "number": draw(TEXT.filter(bool)),
        "declarant_code": draw(st.sampled_from(["", "B000001", 'B"1,2'])),
        "seller_code": draw(st.sampled_from(["", "S000001"])),
        "dispatch_country": draw(st.sampled_from(["", "CN", "KR"])),
        "quantity": draw(MONEY),
        "tax_rate": draw(st.none() | st.decimals(min_value=0, max_value=100, places=2)),
        "duty_amount": draw(MONEY),
        "customs_value": draw(st.decimals(min_value=0, max_value=10**9, places=2)),
        "attributes": draw(ATTRIBUTES),
    }


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, missing as None, rows by id: the readers may differ in
    dtypes (Arrow strings, object), not in values."""
    out = frame.sort_values("id").reset_index(drop=True).astype(object)
    return out.where(out.notna(), None)


@pytest.mark.postgres_only
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows(), min_size=1, max_size=8, unique_by=lambda r: r["number"]))
def test_the_copy_reader_gives_the_orm_readers_frame(drawn: list[dict[str, object]]) -> None:
    importer = factories.operator()
    with transaction.atomic():
        made = [factories.declaration(importer, **row) for row in drawn]
        chosen = Declaration.objects.filter(pk__in=[d.pk for d in made])
        by_orm, by_copy = data.frame(chosen, labels=False), data.copied(chosen)
        assert sorted(by_copy.columns) == sorted(by_orm.columns)
        pd.testing.assert_frame_equal(
            _comparable(by_copy[by_orm.columns]), _comparable(by_orm), check_dtype=False
        )
        transaction.set_rollback(True)


@pytest.mark.postgres_only
def test_the_copy_reader_takes_words_that_other_readers_call_missing_as_text() -> None:
    importer = factories.operator()
    made = [
        factories.declaration(importer, number=word, declarant_code=word, seller_code=word)
        for word in ("null", "NA", "N/A", "nan", "NULL", "-nan")
    ]
    chosen = Declaration.objects.filter(pk__in=[d.pk for d in made])
    by_copy = data.copied(chosen)
    assert sorted(by_copy["number"]) == sorted(d.number for d in made)
    pd.testing.assert_frame_equal(
        _comparable(by_copy[data.frame(chosen, labels=False).columns]),
        _comparable(data.frame(chosen, labels=False)),
        check_dtype=False,
    )


def test_the_bulk_writer_keeps_a_score_already_there_and_writes_the_others() -> None:
    version = factories.model_version(active=True)
    importer = factories.operator()
    first, second, third = (factories.declaration(importer) for _ in range(3))
    Score.objects.create(
        declaration=first, model_version=version, probability=0.9,
        revenue_at_stake=Decimal("12.00"), reasons=[{"feature": "x", "text": "x", "weight": 1}],
    )  # fmt: skip
    with transaction.atomic():
        scoring.store(version, [second.pk], [0.25], [10.004])  # nothing there: straight in
    with transaction.atomic():
        scoring.store(version, [first.pk, second.pk, third.pk], [0.1, 0.2, 0.3], [1, 2, 3.456])
    got = {
        s.declaration_id: (s.probability, s.revenue_at_stake, s.reasons)
        for s in Score.objects.filter(model_version=version)
    }
    assert got == {
        first.pk: (0.9, Decimal("12.00"), [{"feature": "x", "text": "x", "weight": 1}]),
        second.pk: (0.25, Decimal("10.00"), []),
        third.pk: (0.3, Decimal("3.46"), []),
    }
    # Each score carries its declaration's date, whichever way it was written.
    dated = dict(
        Score.objects.filter(model_version=version).values_list(
            "declaration_id", "declaration_date"
        )
    )
    assert dated == {d.pk: d.declaration_date for d in (first, second, third)}


@pytest.mark.slow
def test_a_run_of_the_stored_declarations_dates_every_score_as_its_declaration(
    seeded: None,
) -> None:
    version = services.train(activate=False)
    result = scoring.score_stored(version)
    assert result.scored == Declaration.objects.count()
    wrong = Score.objects.filter(model_version=version).exclude(
        declaration_date=F("declaration__declaration_date")
    )
    assert not wrong.exists()
    assert not Score.objects.filter(declaration_date__isnull=True).exists()


def test_a_declarations_scores_go_with_it_and_a_scored_version_stays() -> None:
    version = factories.model_version(active=True)
    declaration = factories.declaration(factories.operator())
    with transaction.atomic():
        scoring.store(version, [declaration.pk], [0.5], [5])
    with pytest.raises(ProtectedError):
        version.delete()
    declaration.delete()
    assert not Score.objects.exists()


@pytest.fixture
def seeded(tmp_path: Path) -> None:
    demo.seed(demo.demo_config(declarations=12_000, operators_=400), tmp_path)


@pytest.mark.slow
def test_the_list_fills_the_reasons_it_shows_and_a_run_those_of_the_top(seeded: None) -> None:
    version = services.train()  # active at once: everything on record is scored
    Score.objects.filter(model_version=version).update(reasons=[])
    top = Score.objects.filter(model_version=version).order_by("-probability", "id")
    office = top.first().declaration.office_code  # type: ignore[union-attr]
    client = Client()
    client.force_login(factories.user("risk_analyst"))
    first = client.get(f"/risk/scores/?office={office}").content.decode()
    onward = re.search(r'href="(\?[^"]*after=[^"]*)" rel="next"', first)
    assert onward is not None
    page = client.get("/risk/scores/" + html.unescape(onward.group(1))).content.decode()
    shown = list(top.filter(declaration__office_code=office)[50:100])
    assert len(shown) == 50
    assert all(s.reasons for s in shown)
    assert shown[0].reasons[0]["text"] in page
    # the two pages shown, and nothing else
    assert Score.objects.filter(model_version=version).exclude(reasons=[]).count() == 100

    assert len(scoring.top_without_reasons(version)) > scoring.TOP_REASONS - 100
    services.fill_reasons(scoring.top_without_reasons(version))
    assert scoring.top_without_reasons(version) == []
    assert all(s.reasons for s in top[: scoring.TOP_REASONS])


@pytest.mark.slow
@pytest.mark.postgres_only
def test_the_copy_reader_and_the_orm_give_the_same_scores(seeded: None) -> None:
    model = services.load(services.train())
    chosen = Declaration.objects.filter(pk__lte=Declaration.objects.order_by("pk")[3000].pk)
    by_orm = data.frame(chosen, labels=False).sort_values("id").reset_index(drop=True)
    by_copy = data.copied(chosen)
    for a, b in zip(services.predict(model, by_orm), services.predict(model, by_copy), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
