"""Form labels read as words a customs officer uses, not as field names ("Aeo reduction",
"Iqr factor")."""

from __future__ import annotations

import re

import pytest
from django import forms

from greenlane.web.risk import CorrectionForm, ResultForm
from greenlane.web.selectivity import PolicyForm
from greenlane.web.simulations import SimulationForm
from greenlane.web.trs import StudyForm
from tests import factories

pytestmark = pytest.mark.django_db

#: Acronyms Django would write in lower case from a field name.
SPELLED_AS_NAMES = re.compile(r"\b(Aeo|Iqr|Mra|Hs|Trs|Psi)\b")


def _forms() -> list[forms.BaseForm]:
    return [
        PolicyForm(),
        SimulationForm(),
        StudyForm(factories.user("statistician")),
        ResultForm(),
        CorrectionForm(),
    ]


def test_no_label_is_a_field_name() -> None:
    for form in _forms():
        for name, field in form.fields.items():
            label = str(field.label or "")
            derived = name.replace("_", " ").capitalize()
            assert not SPELLED_AS_NAMES.search(label), (type(form).__name__, name, label)
            if name.split("_")[0] in {"aeo", "iqr", "min", "max", "rate", "period"}:
                assert label != derived, (type(form).__name__, name, label)
