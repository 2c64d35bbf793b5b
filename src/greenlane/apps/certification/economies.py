"""Economies' names in the reader's language.

Greenlane's own names (APEC usage: "Hong Kong, China", "Chinese Taipei"; ``core``'s
``ECONOMY_WORDS``) are translated with Greenlane's catalogues; every other economy takes its
ISO 3166 name from pycountry, translated with the catalogues pycountry ships (gettext domain
``iso3166-1``, from Debian's iso-codes), English when the language has none.
"""

from __future__ import annotations

import functools
import gettext

import pycountry
from django.utils import translation

from greenlane.apps.wording import translated
from greenlane.core.certification.network import ECONOMY_WORDS

#: Django's locale names that iso-codes spells otherwise.
_ISO_LOCALES = {"zh_Hans": "zh_CN", "zh_Hant": "zh_TW"}


@functools.cache
def _iso3166(locale: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[_ISO_LOCALES.get(locale, locale)],
        fallback=True,
    )  # fmt: skip


def economy_label(code: str) -> str:
    """The economy with this ISO 3166 code (or EU) by name, in the active language; the code
    itself when it names none."""
    if code in ECONOMY_WORDS:
        return translated(ECONOMY_WORDS[code])
    found = pycountry.countries.get(alpha_2=code) if code else None
    if found is None:
        return code
    name = str(getattr(found, "common_name", None) or found.name)
    language = translation.get_language()
    if not language or language.startswith("en"):
        return name
    return _iso3166(translation.to_locale(language)).gettext(name)
