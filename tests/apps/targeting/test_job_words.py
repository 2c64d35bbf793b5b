"""A background job's message and progress are kept as words and read in the reader's
language (issue 23): the training run's page and its progress, a monitoring run's summary,
and the English the command line prints."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from greenlane import jobs
from greenlane.apps.accounts.roles import Role
from greenlane.apps.targeting.models import TrainingRun
from greenlane.apps.wording import translated
from greenlane.core.words import Words, gettext_noop, read
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_training_runs_progress_is_kept_as_words_and_read_in_korean() -> None:
    analyst = factories.user(Role.RISK_ANALYST)
    run = TrainingRun.objects.create(requested_by=analyst, status=TrainingRun.Status.RUNNING)
    said = gettext_noop("scored %(done)s of %(total)s with v%(version)s", done=1200, total=3400,
                        version=2)  # fmt: skip
    jobs.step(run)(said, 0.35)
    run.refresh_from_db()
    assert run.message == said.as_json()  # data, not a sentence in one language
    assert str(read(run.message)) == "scored 1,200 of 3,400 with v2"  # what the CLI prints
    with translation.override("ko"):
        korean = translated(said)
    assert korean != str(said)
    assert "1,200" in korean
    assert "3,400" in korean
    client = Client()
    client.force_login(analyst)
    answer = client.get(f"/risk/models/runs/{run.pk}/progress/", HTTP_ACCEPT_LANGUAGE="ko")
    assert answer.json()["text"] == korean
    with translation.override("es"):
        spanish = translated(said)
    analyst.language = "es"
    analyst.save(update_fields=["language"])
    assert client.get(f"/risk/models/runs/{run.pk}/progress/").json()["text"] == spanish
    assert "1.200" in spanish  # the reader's thousands separator


def test_a_refusal_stops_a_job_with_its_words_and_an_old_text_still_shows() -> None:
    analyst = factories.user(Role.RISK_ANALYST)
    run = TrainingRun.objects.create(requested_by=analyst)
    jobs._failed(run, Words("interrupted"), "targeting.trainingrun")
    run.refresh_from_db()
    assert run.message == {"message": "interrupted"}
    with translation.override("zh-hans"):
        assert translated(run.message) not in ("", "interrupted")
    TrainingRun.objects.filter(pk=run.pk).update(message="an old English message")
    run.refresh_from_db()
    assert translated(run.message) == "an old English message"


def test_a_scoring_runs_cause_is_read_in_the_readers_language() -> None:
    from greenlane.apps.targeting.models import ModelVersion, ScoringRun

    version = ModelVersion(version=7)  # not stored: the cause is read from the run alone
    run = ScoringRun(version=version, cause="v7 became the active model")
    words = run.cause_words
    assert str(words) == "v7 became the active model"  # kept in English, read back as words
    with translation.override("ko"):
        assert translated(words) not in ("", "v7 became the active model")
        assert "7" in translated(words)
    assert ScoringRun(version=version, cause="on request").cause_words == "on request"
