"""One base for every refusal (decision 0018): each domain's refusal is a ``core.errors.Refused``
and carries the status its front ends answer with."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import greenlane.apps
import greenlane.core
from greenlane.apps.assessments import evidence
from greenlane.apps.assessments import services as assessments
from greenlane.apps.certification import services as certification
from greenlane.apps.declarations import services as declarations
from greenlane.apps.monitoring import services as monitoring
from greenlane.apps.operators import services as operators
from greenlane.apps.targeting import retraining, selectivity
from greenlane.apps.targeting import services as targeting
from greenlane.apps.trs import services as trs
from greenlane.core.certification import lifecycle
from greenlane.core.errors import NotAllowed, Refused
from greenlane.core.risk import excel

#: Refusals whose names do not say so.
NAMED_OTHERWISE = {"AccessError", "TrainingError"}

#: Named like refusals, yet never reach a front end.
NOT_DOMAIN_REFUSALS = {
    excel.Refused: "core.risk.readers reads it and raises FileError with its words",
}


def _modules(package: ModuleType) -> list[ModuleType]:
    names = pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    return [importlib.import_module(m.name) for m in names if ".migrations" not in m.name]


def _named_like_a_refusal(name: str) -> bool:
    return name.endswith(("Refused", "NotAllowed")) or name in NAMED_OTHERWISE


def _refusal_classes() -> set[type]:
    """The exception classes the apps and the core define under a refusal's name."""
    return {
        cls
        for module in _modules(greenlane.apps) + _modules(greenlane.core)
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if _named_like_a_refusal(name)
        and issubclass(cls, BaseException)
        and cls.__module__ == module.__name__
    }


def test_every_refusal_of_the_apps_and_the_core_is_a_core_refused() -> None:
    found = _refusal_classes()
    assert len(found) >= 15  # the walk reached the apps and the core
    assert [c for c in found if not issubclass(c, Refused) and c not in NOT_DOMAIN_REFUSALS] == []


def test_the_refusals_that_never_reach_a_front_end_are_still_there_and_apart() -> None:
    for cls in NOT_DOMAIN_REFUSALS:
        assert cls in _refusal_classes()
        assert not issubclass(cls, Refused)


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (Refused, 400),
        (NotAllowed, 409),
        (certification.Refused, 400),
        (lifecycle.NotAllowed, 409),
        (assessments.Refused, 400),
        (evidence.EvidenceRefused, 400),
        (declarations.UploadRefused, 422),  # the upload API has answered 422 from the start
        (declarations.ResultRefused, 400),
        (declarations.MappingRefused, 400),
        (monitoring.Refused, 400),
        (operators.AccessError, 400),
        (selectivity.Refused, 400),
        (retraining.Refused, 409),  # promotion waits for a fair comparison
        (targeting.TrainingError, 409),  # no model or no data to train on, yet
        (trs.Refused, 400),
    ],
)  # fmt: skip
def test_each_refusal_says_the_status_its_front_ends_answer(
    refusal: type[Refused], status: int
) -> None:
    assert issubclass(refusal, Refused)
    assert refusal.status == status
    assert issubclass(refusal, NotAllowed) == (status == 409)


def test_a_refusal_keeps_its_words_and_the_field_it_is_about() -> None:
    refused = Refused("the rule ends before it starts", "valid_to")
    assert (str(refused), refused.field) == ("the rule ends before it starts", "valid_to")
    assert Refused("no declarations to try the rule on").field is None


def test_certification_and_self_test_refusals_always_name_a_field() -> None:
    """Their API answers have always carried ``field``, "" when no one input is meant."""
    for refusal in (certification.Refused, lifecycle.NotAllowed, assessments.Refused):
        assert refusal("why").field == ""
        assert refusal("why", "tier").field == "tier"
