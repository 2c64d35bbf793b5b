"""The interface in Korean, Spanish and Chinese (docs/i18n.md): every template string marked,
every catalogue complete and compiled, the language chosen as a person expects, local formats,
and PDF fonts that have the glyphs."""

from __future__ import annotations

import datetime
import gettext
import re
import shutil
import subprocess
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _

from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import AuditEvent
from greenlane.web.i18n_check import unmarked_in, unmarked_in_templates
from greenlane.web.templatetags.humanize_figures import figure, money, percent
from tests import factories

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "greenlane" / "web" / "templates"
LOCALE = Path(settings.LOCALE_PATHS[0])
TRANSLATED = ("ko", "es", "zh_Hans")


# -- every string a reader sees is marked --------------------------------------------------


@pytest.mark.once
def test_no_template_shows_text_that_is_not_marked_for_translation() -> None:
    found = unmarked_in_templates(TEMPLATES)
    assert not found, "unmarked text in templates:\n" + "\n".join(map(str, found[:40]))


@pytest.mark.once
@pytest.mark.parametrize(
    ("source", "unmarked"),
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<a title="Open the file" href="{{ url }}">{{ name }}</a>', ["Open the file"]),
        ('<input type="submit" value="Send">', ["Send"]),
        ('<input type="text" value="{{ v }}" name="q">', []),
        ('<button type="submit" name="consent" value="no">{{ label }}</button>', []),
        ('{{ when|default:"never" }}', ["never"]),
        ('{% include "x.html" with label="Total" %}', ["Total"]),
        ('<td{% if n %} class="num"{% endif %}>{{ n }}</td>', []),
        ('{% load i18n %}<p>{% translate "Hello" %} · {{ n }} %</p>', []),
        ("{% load i18n %}{% blocktranslate %}Hi {{ n }}{% endblocktranslate %} there", ["there"]),
        ("{{ when|default:_(\"never\") }}<script>var a = 'x';</script>", []),
        ("{# a note #}{% comment %}Not shown{% endcomment %}<b>Greenlane</b>", []),
        ("<p>\n\n{{ a }}\nline three</p>", ["line three"]),
    ],
)
def test_the_checker_finds_what_a_reader_would_see(source: str, unmarked: list[str]) -> None:
    assert [u.text for u in unmarked_in(source)] == unmarked


@pytest.mark.once
def test_the_checker_says_on_which_line() -> None:
    (found,) = unmarked_in("{% load i18n %}\n<p>{% translate 'a' %}</p>\n<p>\n  Left out\n</p>")
    assert found.line == 4


# -- the catalogues -------------------------------------------------------------------------


def _po(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


@pytest.mark.once
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is needed to check the catalogues"
    done = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(_po(language))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "translated message" in done.stderr
    assert "untranslated" not in done.stderr, done.stderr
    assert "fuzzy" not in done.stderr, done.stderr


@pytest.mark.once
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_po_file(language: str, tmp_path: Path) -> None:
    """``django.mo`` is committed (no gettext needed to install); it must say what the .po
    says, or a fixed translation would never show."""
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(_po(language))], check=True)
    shipped_path = _po(language).with_suffix(".mo")
    with compiled.open("rb") as new, shipped_path.open("rb") as old:
        fresh = gettext.GNUTranslations(new)._catalog  # type: ignore[attr-defined]
        shipped = gettext.GNUTranslations(old)._catalog  # type: ignore[attr-defined]
    assert shipped == fresh, f"run `make messages`: {shipped_path} is older than its .po"


@pytest.mark.once
def test_the_catalogues_hold_every_string_the_sources_mark(tmp_path: Path) -> None:
    """makemessages on a copy of the sources finds no message the .po files lack."""
    source = TEMPLATES.parents[1]
    copy = tmp_path / "greenlane"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "cli"))
    for language in TRANSLATED:
        shutil.rmtree(copy / "locale" / language / "LC_MESSAGES")
        (copy / "locale" / language / "LC_MESSAGES").mkdir(parents=True)
    from django.core.management import call_command

    with (
        pytest.MonkeyPatch.context() as patch,
        translation.override(None),
    ):
        patch.chdir(copy)
        patch.setattr(settings, "LOCALE_PATHS", [copy / "locale"])
        call_command("makemessages", locale=["ko"], verbosity=0, no_obsolete=True)
    wanted = _msgids(copy / "locale" / "ko" / "LC_MESSAGES" / "django.po")
    for language in TRANSLATED:
        missing = wanted - _msgids(_po(language))
        assert not missing, f"{language} lacks {sorted(missing)[:10]}: run `make messages`"


def _msgids(po: Path) -> set[tuple[str, str]]:
    """(context, msgid) of every message in a .po file, read with GNU gettext's msgcat."""
    out = subprocess.run(
        ["msgcat", "--no-wrap", "--sort-output", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: set[tuple[str, str]] = set()
    context = ""
    for line in out.splitlines():
        if line.startswith("msgctxt "):
            context = line[len("msgctxt ") :]
        elif line.startswith("msgid "):
            msgid = line[len("msgid ") :]
            if msgid != '""' or context:
                found.add((context, msgid))
            context = ""
    return found


# -- which language a person sees -----------------------------------------------------------


def _korean(text: str) -> str:
    with translation.override("ko"):
        shown = _(text)
    assert shown != text, f"{text!r} has no Korean translation"
    return shown


@pytest.mark.django_db
def test_the_browser_language_is_used_when_nobody_chose_one() -> None:
    page = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.5")
    text = page.content.decode()
    assert '<html lang="ko">' in text
    assert _korean("Skip to content") in text
    assert page["Content-Language"] == "ko"
    english = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert '<html lang="en">' in english.content.decode()  # not offered: the default


@pytest.mark.django_db
def test_the_switcher_remembers_the_choice_of_a_visitor_who_is_not_signed_in() -> None:
    client = Client()
    answer = client.post("/language", {"language": "es", "next": "/register/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/register/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get("/register/", HTTP_ACCEPT_LANGUAGE="ko")
    assert '<html lang="es">' in page.content.decode()  # the choice wins over the browser


@pytest.mark.django_db
def test_a_signed_in_persons_choice_is_saved_audited_and_followed_everywhere() -> None:
    person = factories.user(Role.VALIDATOR)
    client = Client()
    client.force_login(person)
    answer = client.post("/language", {"language": "ko", "next": "/inbox/"})
    assert answer["Location"] == "/inbox/"
    person.refresh_from_db()
    assert person.language == "ko"
    event = AuditEvent.objects.get(action="accounts.language.chosen")
    assert event.data == {"from": "", "to": "ko"}
    assert event.subject_id == str(person.pk)
    # Another browser, which asks for English and has no cookie: the saved choice wins.
    elsewhere = Client()
    elsewhere.force_login(person)
    page = elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert '<html lang="ko">' in text
    assert _korean("Log out") in text
    # Back to the browser's language: the choice is cleared, and that is audited too.
    client.post("/language", {"language": "", "next": "/"})
    person.refresh_from_db()
    assert person.language == ""
    assert AuditEvent.objects.filter(action="accounts.language.chosen").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", ""])
def test_the_switcher_never_sends_a_person_to_another_site(target: str) -> None:
    answer = Client().post("/language", {"language": "ko", "next": target})
    assert answer["Location"] == "/"


@pytest.mark.django_db
def test_a_language_that_is_not_offered_is_not_saved() -> None:
    person = factories.user(Role.TRADER)
    client = Client()
    client.force_login(person)
    client.post("/language", {"language": "xx", "next": "/"})
    person.refresh_from_db()
    assert person.language == ""
    assert not AuditEvent.objects.filter(action="accounts.language.chosen").exists()


def test_the_switcher_only_accepts_a_post() -> None:
    assert Client().get("/language").status_code == 405


# -- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "date", "when", "number", "amount", "share"),
    [
        ("en", "2026-12-07", "2026-12-07 14:05", "1,234,567", "1,234,567.50", "12.3%"),
        ("ko", "2026. 12. 7.", "2026. 12. 7. 14:05", "1,234,567", "1,234,567.50", "12.3%"),
        ("es", "07/12/2026", "07/12/2026 14:05", "1.234.567", "1.234.567,50", "12,3%"),
        ("zh-hans", "2026-12-07", "2026-12-07 14:05", "1,234,567", "1,234,567.50", "12.3%"),
    ],
)
def test_dates_numbers_and_money_follow_the_language(
    language: str, date: str, when: str, number: str, amount: str, share: str
) -> None:
    template = Template('{{ d|date:"SHORT_DATE_FORMAT" }}|{{ t|date:"SHORT_DATETIME_FORMAT" }}')
    context = Context({"d": datetime.date(2026, 12, 7), "t": datetime.datetime(2026, 12, 7, 14, 5)})
    with translation.override(language):
        assert template.render(context) == f"{date}|{when}"
        assert figure(1234567) == number
        assert money(Decimal("1234567.5")) == f"{amount} {settings.CURRENCY}"
        assert percent(0.1234) == share


@pytest.mark.django_db
def test_times_are_shown_in_the_administrations_time_zone(settings: object) -> None:
    from django.utils import timezone

    settings.TIME_ZONE = "Asia/Seoul"  # type: ignore[attr-defined]
    stored = datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC)
    with timezone.override("Asia/Seoul"):
        shown = Template('{{ t|date:"SHORT_DATETIME_FORMAT" }}').render(Context({"t": stored}))
    assert shown == "2026-12-08 08:30"


def test_a_time_zone_the_database_does_not_know_is_refused_at_start() -> None:
    from greenlane.config import ConfigError, env_time_zone

    assert env_time_zone("TZ_X", "UTC", env={"TZ_X": "America/Lima"}) == "America/Lima"
    with pytest.raises(ConfigError, match="not a time zone"):
        env_time_zone("TZ_X", "UTC", env={"TZ_X": "Seoul"})


# -- fonts ----------------------------------------------------------------------------------


@pytest.mark.once
@pytest.mark.parametrize(
    ("language", "text"), [("ko", "수출입 안전관리 우수업체"), ("zh-hans", "经认证的经营者")]
)
def test_a_pdf_in_korean_or_chinese_embeds_a_font_with_its_glyphs(language: str, text: str) -> None:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    style = render_to_string("web/pdf_fonts.css")
    page = f'<html lang="{language}"><head><style>{style}</style></head><body>{text}</body></html>'
    fonts = _embedded_fonts(HTML(string=page).write_pdf())
    wanted = "Noto-Sans-CJK-KR" if language == "ko" else "Noto-Sans-CJK-SC"
    assert any(name.endswith(wanted) for name in fonts), f"{fonts}: tofu boxes in {language}"


def _embedded_fonts(pdf: bytes) -> set[str]:
    """The /BaseFont names in a PDF, its compressed object streams included."""
    pattern = re.compile(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)")
    found = set(pattern.findall(pdf))
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            found |= set(pattern.findall(zlib.decompress(stream.group(1))))
        except zlib.error:  # not a Flate stream
            continue
    return {name.decode() for name in found}


@pytest.mark.django_db
def test_a_signed_in_persons_choice_needs_the_csrf_token_and_a_visitors_does_not() -> None:
    person = factories.user(Role.TRADER)
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(person)
    assert signed_in.post("/language", {"language": "ko"}).status_code == 403
    person.refresh_from_db()
    assert person.language == ""
    visitor = Client(enforce_csrf_checks=True)
    assert visitor.post("/language", {"language": "ko"}).status_code == 302
    page = visitor.get("/verify/").content.decode()
    assert 'data-testid="language-switcher"' in page
    assert "csrfmiddlewaretoken" not in page.split('data-testid="language-switcher"')[1][:400]


@pytest.mark.django_db
def test_a_request_in_korean_leaves_the_thread_in_the_default_language() -> None:
    """What runs on the same thread afterwards (a task run at once, a sweep) must not speak
    the last visitor's language."""
    person = factories.user(Role.VALIDATOR)
    person.language = "ko"
    person.save(update_fields=["language"])
    client = Client()
    client.force_login(person)
    assert '<html lang="ko">' in client.get("/").content.decode()
    assert translation.get_language() == settings.LANGUAGE_CODE


@pytest.mark.parametrize(
    ("value", "shown"), [(0.91666, "91.7%"), (0.91649, "91.6%"), (0.0005, "0.1%")]
)
def test_a_share_is_rounded_not_cut(value: float, shown: str) -> None:
    assert percent(value) == shown
    assert figure(2.675) == f"{2.675:.2f}"  # the float's own rounding, as the browser's


@pytest.mark.once
def test_translation_functions_keep_names_that_makemessages_knows() -> None:
    """xgettext finds ``_``, ``gettext_lazy``, ``pgettext`` ... by name: a string marked with
    an alias of its own (``gettext_lazy as _lazy``) is never collected, so never translated."""
    source = TEMPLATES.parents[1]
    alias = re.compile(r"\b(n?p?gettext(?:_lazy|_noop)?)\s+as\s+(\w+)")
    found = [
        f"{path.relative_to(source)}: {m.group(1)} as {m.group(2)}"
        for path in source.rglob("*.py")
        for m in alias.finditer(path.read_text(encoding="utf-8"))
        if m.group(2) != "_"
    ]
    assert not found, found


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/catalogue/", "/certification/statistics/"])
def test_numbers_in_a_spanish_pages_drawings_keep_their_decimal_point(path: str) -> None:
    """Spanish writes 1,5; an SVG attribute with "1,5" is an error and the drawing breaks.
    Figures a reader sees are formatted by filters; raw numbers stay machine-readable."""
    person = factories.user(Role.VALIDATOR)
    client = Client()
    client.force_login(person)
    page = client.get(path, HTTP_ACCEPT_LANGUAGE="es")
    text = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="es">' in text
    assert "<svg" in text
    assert not re.findall(r'="-?\d+,\d+"', text)
