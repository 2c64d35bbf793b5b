from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from greenlane.apps.audit import chain, services
from greenlane.apps.audit.models import AppendOnlyError, AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _record(n: int) -> list[AuditEvent]:
    return [
        services.record("test.thing.happened", None, ("test.thing", i), {"i": i}) for i in range(n)
    ]


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_it_verifies_an_untouched_chain() -> None:
    _record(5)
    checked, broken = services.verify()
    assert checked == 5
    assert broken is None


def test_it_links_each_event_to_the_previous_one() -> None:
    events = _record(3)
    assert events[0].prev_hash == chain.GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_it_detects_an_edited_row() -> None:
    events = _record(5)
    _raw("UPDATE audit_auditevent SET data = %s WHERE seq = %s", ['{"i": 99}', events[2].seq])
    _, broken = services.verify()
    assert broken is not None
    assert broken.seq == events[2].seq
    assert "changed" in broken.reason


def test_it_detects_an_edited_actor() -> None:
    events = _record(3)
    _raw("UPDATE audit_auditevent SET actor = %s WHERE seq = %s", ["someone-else", events[0].seq])
    _, broken = services.verify()
    assert broken is not None
    assert broken.seq == events[0].seq


def test_it_detects_a_deleted_row() -> None:
    events = _record(5)
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    _, broken = services.verify()
    assert broken is not None
    assert broken.seq == events[1].seq
    assert "missing" in broken.reason


def test_it_detects_deleted_newest_rows() -> None:
    events = _record(4)
    _raw("DELETE FROM audit_auditevent WHERE seq >= %s", [events[2].seq])
    _, broken = services.verify()
    assert broken is not None
    assert broken.seq == events[2].seq


def test_it_refuses_changes_through_the_orm() -> None:
    event = _record(1)[0]
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_it_masks_secrets_at_any_depth() -> None:
    event = services.record(
        "test.secret", None, None, {"password": "hunter2", "nested": {"api_token": "t", "ok": 1}}
    )
    event.refresh_from_db()
    assert event.data == {"password": "***", "nested": {"api_token": "***", "ok": 1}}


def test_it_records_the_actor_and_organisation() -> None:
    user = factories.user("validator")
    event = services.record("test.done", user, user, {})
    assert (event.actor, event.actor_id, event.organisation_id) == (
        user.username,
        user.pk,
        user.organisation_id,
    )
    assert (event.subject_type, event.subject_id) == ("accounts.user", str(user.pk))


def test_it_rolls_back_with_the_change_it_records() -> None:
    before = AuditEvent.objects.count()

    def failing_change() -> None:
        with transaction.atomic():
            factories.organisation(name="Doomed")
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        failing_change()
    assert AuditEvent.objects.count() == before
    assert services.verify()[1] is None


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_under_concurrent_writers() -> None:
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                services.record("test.concurrent", None, ("writer", k), {"i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    checked, broken = services.verify()
    assert checked == 60
    assert broken is None


FIELDS = st.fixed_dictionaries(
    {
        "action": st.text(max_size=20),
        "data": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    }
)


@settings(max_examples=60, deadline=None)
@given(events=st.lists(FIELDS, min_size=1, max_size=12), data=st.data())
def test_any_single_tampering_is_detected(
    events: list[dict[str, object]], data: st.DataObject
) -> None:
    rows, prev = [], chain.GENESIS
    for seq, fields in enumerate(events, start=1):
        h = chain.event_hash(prev, {**fields, "seq": seq})
        rows.append((seq, prev, h, {**fields, "seq": seq}))
        prev = h
    head = (len(rows), prev)
    assert chain.verify(rows, head) is None

    victim = data.draw(st.integers(0, len(rows) - 1))
    how = data.draw(st.sampled_from(["edit", "delete"]))
    tampered = list(rows)
    if how == "delete":
        del tampered[victim]
    else:
        seq, p, h, fields = tampered[victim]
        new_action = data.draw(st.text(max_size=20).filter(lambda a: a != fields["action"]))
        tampered[victim] = (seq, p, h, {**fields, "action": new_action})
    broken = chain.verify(tampered, head)
    assert broken is not None
    assert broken.seq == victim + 1
