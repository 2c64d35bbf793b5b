"""The titles of the notices about a message, stored as words and read in each reader's
language (a module of its own: here ``_`` is core's, which marks words to translate later,
not Django's, which translates now)."""

from __future__ import annotations

from greenlane.apps.certification.models import Application
from greenlane.core.words import Words, _, ngettext


def wrote(thing: object, company: str | None, files: int) -> Words:
    """Who wrote (customs when ``company`` is None, else the company by name) on which
    application or certificate, with how many files."""
    number = str(getattr(thing, "number", ""))
    if isinstance(thing, Application):
        if company is None:
            if not files:
                return _("Customs wrote on application %(number)s", number=number)
            return ngettext(
                "Customs wrote on application %(number)s (%(count)s file attached)",
                "Customs wrote on application %(number)s (%(count)s files attached)",
                files, number=number,
            )  # fmt: skip
        if not files:
            return _("%(company)s wrote on application %(number)s", company=company, number=number)
        return ngettext(
            "%(company)s wrote on application %(number)s (%(count)s file attached)",
            "%(company)s wrote on application %(number)s (%(count)s files attached)",
            files, company=company, number=number,
        )  # fmt: skip
    if company is None:
        if not files:
            return _("Customs wrote on certificate %(number)s", number=number)
        return ngettext(
            "Customs wrote on certificate %(number)s (%(count)s file attached)",
            "Customs wrote on certificate %(number)s (%(count)s files attached)",
            files, number=number,
        )  # fmt: skip
    if not files:
        return _("%(company)s wrote on certificate %(number)s", company=company, number=number)
    return ngettext(
        "%(company)s wrote on certificate %(number)s (%(count)s file attached)",
        "%(company)s wrote on certificate %(number)s (%(count)s files attached)",
        files, company=company, number=number,
    )  # fmt: skip
