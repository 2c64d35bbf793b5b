"""Self-test state changes: autosave, snapshots, evidence, action plan."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from greenlane.apps.accounts.roles import Role
from greenlane.apps.assessments import services
from greenlane.apps.assessments.models import Answer, Evidence, SelfAssessment
from greenlane.apps.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():  # type: ignore[no-untyped-def]
    return factories.operator(factories.organisation("operator"))


@pytest.fixture
def trader(operator):  # type: ignore[no-untyped-def]
    return factories.user(Role.TRADER, operator.organisation)


def test_it_saves_an_answer_into_a_new_draft_and_audits_it(operator, trader) -> None:  # type: ignore[no-untyped-def]
    services.save_answer(operator, trader, "COMP-RECORD", "met", "three clean years")
    draft = services.draft_of(operator)
    assert draft is not None
    assert services.answers_of(draft) == {"COMP-RECORD": "met"}
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions[-2:] == ["assessments.selftest.started", "assessments.answer.saved"]


def test_an_invalid_answer_is_refused_at_its_field_and_loses_nothing(operator, trader) -> None:  # type: ignore[no-untyped-def]
    services.save_answer(operator, trader, "COMP-RECORD", "partly", "working on it")
    with pytest.raises(services.Refused) as caught:
        services.save_answer(operator, trader, "COMP-RECORD", "na", "")
    assert caught.value.field == "answer"
    assert "cannot be 'na'" in str(caught.value)
    with pytest.raises(services.Refused):
        services.save_answer(operator, trader, "COMP-RECORD", "maybe", "")
    with pytest.raises(services.Refused):
        services.save_answer(operator, trader, "NOT-A-REQ", "met", "")
    with pytest.raises(services.Refused) as too_long:
        services.save_answer(operator, trader, "COMP-RECORD", "met", "x" * 4001)
    assert too_long.value.field == "comment"
    row = Answer.objects.get(requirement="COMP-RECORD")
    assert (row.answer, row.comment) == ("partly", "working on it")


def test_submitting_needs_every_requirement_answered(operator, trader) -> None:  # type: ignore[no-untyped-def]
    services.save_answer(operator, trader, "COMP-RECORD", "met", "")
    with pytest.raises(services.Refused, match="22 requirement"):
        services.submit(operator, trader)
    assert services.draft_of(operator) is not None


def test_a_submitted_snapshot_is_frozen_and_the_next_draft_starts_from_it(operator, trader) -> None:  # type: ignore[no-untyped-def]
    factories.answered_draft(operator, trader, "partly")
    first = services.submit(operator, trader)
    assert first.status == SelfAssessment.Status.SUBMITTED
    assert first.result is not None
    assert first.catalogue_versions["baseline"]
    services.save_answer(operator, trader, "SEC-IT", "met", "")
    draft = services.draft_of(operator)
    assert draft is not None
    assert draft.pk != first.pk
    assert services.answers_of(draft)["SEC-IT"] == "met"
    assert services.answers_of(draft)["SEC-CARGO"] == "partly"  # carried over
    assert services.answers_of(first)["SEC-IT"] == "partly"  # the snapshot did not move
    second = services.submit(operator, trader)
    assert services.evaluate(operator, first) == first.result
    it = {g["requirement"] for g in second.result["gaps"]}  # type: ignore[index]
    assert "SEC-IT" not in it


def test_profile_facts_are_checked(operator, trader) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.Refused) as caught:
        services.save_profile(operator, trader, {"declarations_per_year": "many"})
    assert caught.value.field == "declarations_per_year"
    with pytest.raises(services.Refused, match="no measured score"):
        services.save_profile(operator, trader, {"scores": {"kr-aeo": {"security": "90"}}})
    with pytest.raises(services.Refused, match="0 to 100"):
        services.save_profile(operator, trader, {"scores": {"kr-aeo": {"legal_compliance": 120}}})
    services.save_profile(
        operator,
        trader,
        {
            "declarations_per_year": "40",
            "operator_types": ["importer", "exporter"],
            "scores": {"kr-aeo": {"legal_compliance": "91", "internal_control": "85"}},
        },
    )
    profile = services.profile_of(operator, services.draft_of(operator), timezone.localdate())
    assert profile.declarations_per_year == 40
    assert profile.operator_types == {"importer", "exporter"}
    assert profile.scores == {"kr-aeo": {"legal_compliance": 91.0, "internal_control": 85.0}}


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"annual_turnover": "5000000"}, "currency", "name the currency"),
        ({"paid_up_capital": "-1", "currency": "THB"}, "paid_up_capital", "between 0"),
        ({"annual_turnover": "1", "currency": "baht"}, "currency", "three-letter"),
        ({"annual_turnover": "lots", "currency": "THB"}, "annual_turnover", "a number"),
    ],
)
def test_size_facts_need_a_number_and_a_currency(operator, trader, data, field, text) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.Refused, match=text) as caught:
        services.save_profile(operator, trader, data)
    assert caught.value.field == field


def test_size_facts_are_kept_with_the_currency_in_capitals(
    operator,
    trader,  # type: ignore[no-untyped-def]
) -> None:
    services.save_profile(
        operator,
        trader,
        {"annual_turnover": "2e9", "paid_up_capital": "6000000", "currency": "thb"},
    )
    profile = services.profile_of(operator, services.draft_of(operator), timezone.localdate())
    assert (profile.annual_turnover, profile.paid_up_capital, profile.currency) == (
        2e9, 6e6, "THB",
    )  # fmt: skip


def test_entered_korea_scores_give_grade_aa_in_the_app(operator, trader) -> None:  # type: ignore[no-untyped-def]
    factories.answered_draft(operator, trader)
    scores = {"kr-aeo": {"legal_compliance": "91", "internal_control": "85"}}
    services.save_profile(operator, trader, {"scores": scores})
    result = services.evaluate(operator, services.draft_of(operator))
    korea = next(p for p in result["programmes"] if p["programme"] == "kr-aeo")
    assert korea["best_tier"] == "AA"


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03" + b"\x00" * 200


def test_evidence_is_typed_by_content_and_stored_with_its_hash(operator, trader) -> None:  # type: ignore[no-untyped-def]
    evidence = services.add_evidence(operator, trader, "REC-SYSTEM", factories.pdf_upload())
    assert evidence.content_type == "application/pdf"
    assert len(evidence.sha256) == 64
    assert evidence.file.read() == factories.MINIMAL_PDF
    evidence.file.close()
    text = services.add_evidence(
        operator, trader, "REC-SYSTEM", _upload("notes.txt", b"a,b\n1,2\n")
    )
    assert text.content_type == "text/plain"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", EXE, "not accepted as evidence"),
        ("photo.pdf", PNG, "does not match the name's '.pdf'"),
        ("tool.exe", EXE, "not accepted as evidence"),
        ("empty.txt", b"", "is empty"),
        ("binary.txt", b"\x00\x01\x02garbage", "unknown type"),
    ],
)
def test_disguised_or_unsupported_files_are_refused(
    operator, trader, name, content, message
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.Refused, match=message) as caught:
        services.add_evidence(operator, trader, "REC-SYSTEM", _upload(name, content))
    assert caught.value.field == "file"
    assert not Evidence.objects.exists()


@override_settings(MAX_EVIDENCE_MB=1)
def test_an_oversized_file_is_refused(operator, trader) -> None:  # type: ignore[no-untyped-def]
    big = factories.MINIMAL_PDF + b"0" * (1024 * 1024)
    with pytest.raises(services.Refused, match="larger than the limit of 1 MB"):
        services.add_evidence(operator, trader, "REC-SYSTEM", factories.pdf_upload("big.pdf", big))
    assert not Evidence.objects.exists()


def test_the_same_file_twice_on_one_requirement_is_refused(operator, trader) -> None:  # type: ignore[no-untyped-def]
    services.add_evidence(operator, trader, "REC-SYSTEM", factories.pdf_upload())
    with pytest.raises(services.Refused, match="already attached"):
        services.add_evidence(operator, trader, "REC-SYSTEM", factories.pdf_upload())
    assert Evidence.objects.count() == 1


def test_the_action_plan_is_validated_and_audited(operator, trader) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.Refused) as caught:
        services.save_action(operator, trader, {"requirement": "SEC-IT", "action": ""})
    assert caught.value.field == "action"
    with pytest.raises(services.Refused) as bad_date:
        services.save_action(
            operator, trader, {"requirement": "SEC-IT", "action": "x", "target_date": "soon"}
        )
    assert bad_date.value.field == "target_date"
    item = services.save_action(
        operator,
        trader,
        {
            "requirement": "SEC-IT",
            "action": "Patch policy",
            "owner": "IT",
            "target_date": "2027-01-31",
        },
    )
    services.save_action(operator, trader, {**_fields(item), "status": "done"}, item)
    item.refresh_from_db()
    assert item.status == "done"
    actions = AuditEvent.objects.filter(action__startswith="assessments.action").count()
    assert actions == 2


def _fields(item) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"requirement": item.requirement, "action": item.action, "owner": item.owner}


def test_a_second_submit_without_changes_is_refused(operator, trader) -> None:  # type: ignore[no-untyped-def]
    factories.answered_draft(operator, trader)
    services.submit(operator, trader)
    with pytest.raises(services.Refused, match="nothing has changed"):
        services.submit(operator, trader)
    assert SelfAssessment.objects.filter(status="submitted").count() == 1


def test_brokers_and_exporters_count_their_own_declarations() -> None:
    from greenlane.apps.operators.models import Operator

    importer = factories.operator(factories.organisation("operator"))
    broker = Operator.objects.create(
        code="BRK1", name="Broker", country="KR", trade_role="broker", size_class="small",
        employees=10, established_on=importer.established_on,
    )  # fmt: skip
    factories.declaration(importer, declarant_code="BRK1")
    on = factories.declaration(importer, number="D-2").declaration_date
    assert services.declarations_last_year(importer, on) == 2
    assert services.declarations_last_year(broker, on) == 1


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


DOCX_PARTS = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("macro.docx", _zip({**DOCX_PARTS, "word/vbaProject.bin": b"x"}), "macros or programs"),
        ("fake.docx", _zip({"keyword/readme.txt": b"x", "payload.exe": b"MZ"}), "fake.docx: "),
        ("padded.txt", b"a" * 9000 + b"\x7fELF\x00\x01", "binary content"),
        ("latin1.txt", b"a" * 9000 + "café".encode("latin-1"), "must be UTF-8"),
    ],
)
def test_office_files_and_text_are_checked_whole(operator, trader, name, content, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.Refused, match=message):
        services.add_evidence(operator, trader, "REC-SYSTEM", _upload(name, content))


def test_a_clean_office_document_is_accepted(operator, trader) -> None:  # type: ignore[no-untyped-def]
    import io

    import openpyxl

    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    evidence = services.add_evidence(
        operator, trader, "REC-SYSTEM", _upload("stock.xlsx", out.getvalue())
    )
    assert evidence.content_type.endswith("spreadsheetml.sheet")


def test_a_result_keeps_its_reasons_and_gates_as_words_translated_when_read(operator) -> None:  # type: ignore[no-untyped-def]
    import json

    from django.utils import translation

    from greenlane.apps.wording import translated

    result = services.evaluate(operator, None)
    json.dumps(result)  # stored in a snapshot as it is
    tiers = [t for p in result["programmes"] for t in p["tiers"]]
    shut = [g["text"] for t in tiers for g in t["gates"] if not g["passed"]]
    kept = [g for g in shut if isinstance(g, dict)]
    assert kept, "an operator not started has shut gates whose words are kept as data"
    assert all("message" in g for g in kept)
    with translation.override("ko"):
        shown = services.shown(result)
        texts = [g["text"] for p in shown["programmes"] for t in p["tiers"] for g in t["gates"]]
        assert all(isinstance(t, str) for t in texts)
        assert translated(kept[0]) in texts
