"""``apps.text_to_json``, the operation of the migrations that turn a text column into words
(declarations/0008, targeting/0012, monitoring/0003, trs/0003): what a column held is kept,
as a JSON string read back as the same text, both ways, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from greenlane.apps.wording import translated
from greenlane.core.words import Words, read, stored
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("trs", "0002_study_rates_by_section")]
AFTER = [("trs", "0003_study_message_words")]
TEXTS = ["", "plain English, with a 'quote' and a \"double\" one", "한국어 메시지 · 中文 · ñ", "{}"]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_texts_before_are_kept_and_come_back() -> None:
    person = factories.user("statistician")
    try:
        apps = _migrate(BEFORE)
        study = apps.get_model("trs", "Study")
        made = [
            study.objects.create(
                title=f"study {i}",
                message=text,
                created_by_id=person.pk,
                organisation_id=person.organisation_id,
            ).pk
            for i, text in enumerate(TEXTS)
        ]
        apps = _migrate(AFTER)
        study = apps.get_model("trs", "Study")
        kept = dict(study.objects.filter(pk__in=made).values_list("pk", "message"))
        assert [kept[pk] for pk in made] == TEXTS  # JSON strings, the same texts
        assert [translated(read(kept[pk])) for pk in made] == TEXTS
        words = Words("%(file)s was removed", {"file": "e.csv"})
        study.objects.filter(pk=made[0]).update(message=stored(words))
        apps = _migrate(BEFORE)  # back: texts as they were; words as their JSON text
        study = apps.get_model("trs", "Study")
        back = dict(study.objects.filter(pk__in=made).values_list("pk", "message"))
        assert [back[pk] for pk in made[1:]] == TEXTS[1:]
        assert "%(file)s was removed" in back[made[0]]
    finally:
        _migrate(AFTER)
