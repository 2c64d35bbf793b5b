"""Every string Python shows a person is marked for translation (docs/i18n.md, "Writing
Python"): the checker (``greenlane/web/i18n_py_check.py``) on small sources, then on the whole
package."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from greenlane.web.i18n_py_check import is_language, report, unmarked_in, unmarked_in_python

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "greenlane"


def _found(source: str) -> list[str]:
    return [f.text for f in unmarked_in(textwrap.dedent(source))]


# -- what is found --------------------------------------------------------------------------


@pytest.mark.once
@pytest.mark.parametrize(
    ("source", "unmarked"),
    [
        # Refusals, and a class derived from Refused (found by reading the class definitions).
        ('raise Refused("the file is empty")', ["the file is empty"]),
        (
            "class UploadRefused(errors.Refused): pass\n"
            "class Late(UploadRefused): pass\n"
            'raise Late("too late to upload", "file")',
            ["too late to upload"],
        ),
        ('raise forms.ValidationError("Enter a date")', ["Enter a date"]),
        ('raise ValidationError({"date": ["Enter a date"]})', ["Enter a date"]),
        ('raise Http404("no such notice")', ["no such notice"]),
        ('raise HttpError(404, "no such programme")', ["no such programme"]),
        ('return HttpResponseBadRequest("Content-Length is not a number")', None),
        # f-strings are never translatable.
        ('raise Refused(f"{name} is larger than {n} MB")', ["f'{name} is larger than {n} MB'"]),
        # messages, add_error, mail
        ('messages.success(request, "Saved.")', ["Saved."]),
        ('messages.add_message(request, messages.INFO, "Sent to the officer")', None),
        ('form.add_error("date", "the end comes before the start")', None),
        ('send_mail("Your access", body, None, [to])', ["Your access"]),
        # form fields
        ('x = forms.CharField(label="Title", help_text="As printed")', ["Title", "As printed"]),
        ('x = forms.ModelChoiceField(qs, empty_label="every office")', ["every office"]),
        ('x = forms.CharField(error_messages={"required": "Say why"})', ["Say why"]),
        (
            'x = forms.ChoiceField(choices=[("", "any office"), ("red", "Red")])',
            ["any office", "Red"],
        ),
        ('KINDS = [("a", "Audit")]\nx = forms.ChoiceField(choices=KINDS)', ["Audit"]),
        ('x = forms.TextInput(attrs={"placeholder": "e.g. OP1", "rows": 2})', ["e.g. OP1"]),
        ('self.fields["previous"].help_text = "A finished study"', ["A finished study"]),
        ('class Meta:\n    labels = {"name": "Name", "reason": _("Reason")}', ["Name"]),
        ('class Kind(models.TextChoices):\n    AUDIT = "audit", "An audit"', ["An audit"]),
        # the API's answer
        ('return Status(404, {"detail": "not verified"})', ["not verified"]),
        ('NOT_FOUND = "not verified"\nreturn {"detail": NOT_FOUND}', ["not verified"]),
        # core's words
        ('def title() -> Words:\n    return "Scores by week"', ["Scores by week"]),
        ('w = Words("Importer %(code)s", {"code": c})', ["Importer %(code)s"]),
        # followed through + / or / if-else / a local name / format / join
        (
            'def f(x):\n    why = "not ready" if x else "it is closed"\n    raise Refused(why)',
            ["not ready", "it is closed"],
        ),
        ('raise Refused("The reason: " + str(exc))', ["The reason:"]),
        ('raise Refused(reason or "no reason given")', ["no reason given"]),
        ('raise Refused("{} is late".format(n))', ["{} is late"]),
        ('raise Refused("; ".join(["one problem", _("two")]))', ["one problem"]),
        ('raise Refused("%s is late" % n)', ["%s is late"]),
        # a function of the same module, whose result is shown
        ('def why(n):\n    return "too many files"\nraise Refused(why(3))', ["too many files"]),
    ],
)
def test_the_checker_finds_each_kind_of_shown_text(source: str, unmarked: list[str] | None) -> None:
    found = _found(source)
    if unmarked is None:  # the one literal with words in the source
        assert len(found) == 1, found
    else:
        assert found == unmarked


# -- what is not found ----------------------------------------------------------------------


@pytest.mark.once
@pytest.mark.parametrize(
    "source",
    [
        # marked, with each function xgettext knows, and formatted after marking
        'raise Refused(_("the file is empty"))',
        'raise Refused(gettext("the file is empty"))',
        'x = forms.CharField(label=gettext_lazy("Title"))',
        'x = forms.CharField(label=gettext_noop("Title"))',
        'messages.info(request, ngettext("%(n)s file", "%(n)s files", n) % {"n": n})',
        'x = forms.CharField(label=ngettext_lazy("one file", "files", 2))',
        'x = forms.CharField(label=pgettext_lazy("size", "Large"))',
        'raise Refused(pgettext("a case", "Open"))',
        'raise Refused(npgettext("c", "%(n)s day", "%(n)s days", n) % {"n": n})',
        'raise Refused(translation.gettext("Closed"))',
        'raise Refused(_("%(name)s is late") % {"name": "the officer"})',
        'def title() -> Words:\n    return _("Scores by week", n=3)',
        # not words: codes, field names, figures, placeholders
        'raise Refused(_("a tier"), "tier")',
        'x = forms.ChoiceField(choices=[("red", "red"), ("document_review", "2.1")])',
        'raise HttpError(404, "%(code)s")',
        'raise Refused(f"{a}: {b}")',
        'x = forms.ChoiceField(choices=[("spark", "Apache Spark")])',
        # never shown: developer errors, logs, audit actions, docstrings, other calls
        'raise ValueError("the model is not fitted")',
        'raise TypeError("expected a date")',
        'log.warning("the worker stopped")',
        'audit.record("declarations.upload", "Uploaded a file")',
        'def f():\n    """Refuse the upload."""\n    return "Scores by week"',
        'print("Scores by week")',
        'raise Refused(describe(kind, "some words"))',
        '{"detail": {"type": "string", "title": "Detail"}}',
        # a ValidationError raised to be caught at once, and turned into a marked refusal
        'try:\n    raise ValidationError("too long")\nexcept ValidationError:\n'
        '    raise Refused(_("enter a valid address"))',
        # a model's help text, when no ModelForm shows the field
        'class Job(models.Model):\n    cause = models.CharField(help_text="why it was queued")',
        # ... or when the form replaces it, or declares the field itself
        "class Study(models.Model):\n"
        '    rate = models.FloatField(help_text="Value of a day (low)")\n'
        '    office = models.CharField(help_text="empty: every office")\n'
        "class StudyForm(forms.ModelForm):\n"
        "    office = forms.ChoiceField()\n"
        "    class Meta:\n"
        "        model = Study\n"
        '        fields = ["rate", "office"]\n'
        '        help_texts = {"rate": ""}',
        # opted out, on the literal's line, on the call's first line, on a Choices class
        'raise Refused("for the command line")  # i18n: not shown',
        'messages.info(  # i18n: not shown\n    request,\n    "for the command line",\n)',
        'class Mail(models.TextChoices):  # i18n: not shown\n    SENT = "sent", "Sent"',
    ],
)
def test_the_checker_lets_through_what_is_marked_or_never_shown(source: str) -> None:
    assert _found(source) == []


@pytest.mark.once
def test_a_model_field_a_model_form_shows_needs_its_words_marked() -> None:
    source = """
    class Operator(models.Model):
        national_id = models.CharField(help_text="e.g. business registration number")
        notes = models.TextField(help_text="kept for the officers")

    class OperatorForm(forms.ModelForm):
        class Meta:
            model = Operator
            fields = ["national_id"]
    """
    assert _found(source) == ["e.g. business registration number"]


@pytest.mark.once
def test_a_try_only_hides_what_it_catches_itself() -> None:
    source = """
    try:
        raise ValidationError("too long")

        def later():
            raise ValidationError("runs outside the try")
    except ValidationError:
        raise Refused("enter a valid address") from None
    """
    assert _found(source) == ["runs outside the try", "enter a valid address"]


@pytest.mark.once
def test_the_checker_says_on_which_line() -> None:
    (found,) = unmarked_in('x = 1\n\nraise Refused(\n    _("a") if x else "b c"\n)\n', "m.py")
    assert (found.path, found.line, found.text) == ("m.py", 4, "b c")
    assert str(found) == "m.py:4: 'b c'"


@pytest.mark.once
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Saved.", True),
        ("e.g. OP1", True),
        ("tier", False),
        ("document_review", False),
        ("eu-aeo.v2", False),
        ("%(count)s", False),
        ("{n} / {total}", False),
        ("42 %", False),
        ("Greenlane", False),
        ("Greenlane files", True),
    ],
)
def test_text_is_language_when_it_holds_words_and_is_not_a_code(text: str, words: bool) -> None:
    assert is_language(text) is words


# -- the whole package ----------------------------------------------------------------------


@pytest.mark.once
def test_the_cli_and_generated_code_are_not_checked() -> None:
    found = unmarked_in_python(PACKAGE)
    skipped = ("cli/", "core/synth/", "/migrations/", "/management/")
    assert not [f for f in found if f.path.startswith(skipped) or any(s in f.path for s in skipped)]


@pytest.mark.once
def test_no_python_string_reaches_a_person_unmarked() -> None:
    found = unmarked_in_python(PACKAGE)
    assert not found, "unmarked text in Python:\n" + report(found)


@pytest.mark.once
def test_no_module_takes_a_translation_name_from_both_django_and_core() -> None:
    """Django's ``_``, ``gettext_noop`` and ``ngettext`` give text, core's give words to
    translate when read: a module importing one name from both would silently use whichever
    came last."""
    both = []
    for path in PACKAGE.rglob("*.py"):
        sources: dict[str, set[str]] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    sources.setdefault(alias.asname or alias.name, set()).add(node.module)
        for name in ("_", "gettext_noop", "ngettext"):
            if "greenlane.core.words" in sources.get(name, set()) and len(sources[name]) > 1:
                both.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert not both, both
