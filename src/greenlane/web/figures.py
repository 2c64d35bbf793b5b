"""The figures each role's home page shows.

Customs roles see every declaration on record: their figures come from the running totals
(``greenlane.apps.tallies``), whose cost follows the calendar, not the tens of millions of
declarations. Traders and consultants see their own operators' declarations, which the
importer and declarant indexes find.

Periods are anchored on the newest declaration in the database rather than on today, so a
study of last year's data still shows figures for "the last 30 days" of that data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from greenlane.apps.accounts.models import Organisation, User
from greenlane.apps.accounts.roles import Role
from greenlane.apps.audit.models import ChainHead
from greenlane.apps.declarations.models import TransportMode
from greenlane.apps.operators.models import (
    MSME_CLASSES,
    AeoAuthorisation,
    Operator,
    in_force,
    valid_on,
)
from greenlane.apps.operators.permissions import visible_operators
from greenlane.apps.tallies import queries as tallies
from greenlane.apps.targeting.models import ModelVersion


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Any
    unit: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    #: Where each row leads (its first cell becomes the link); empty: rows are not links.
    links: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[tuple[tuple[Any, ...], str | None]]:
        """Each row with where it leads (None: nowhere)."""
        return [
            (row, self.links[i] if i < len(self.links) else None) for i, row in enumerate(self.rows)
        ]


def _rate(part: int, whole: int) -> Decimal:
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1")) if whole else Decimal(0)


def _money(value: Decimal | None) -> Decimal:
    """Whole currency units: SQLite's SUM over decimals returns long fractions."""
    return Decimal(value or 0).quantize(Decimal(1))


def _party_figures(operators: QuerySet[Operator]) -> list[Figure]:
    """The figures of some operators' declarations, as importer or declarant (a trader's, a
    consultant's clients'), from the running totals per importer and declarant."""
    found = tallies.parties(list(operators.values_list("code", flat=True)))
    done = found.inspections
    return _figures(
        found.declarations, done.inspections, done.irregularities, done.revenue_recovered
    )


def _all_declaration_figures() -> list[Figure]:
    """The same figures for every declaration on record, from the running totals."""
    done = tallies.inspections()
    return _figures(
        tallies.declarations(), done.inspections, done.irregularities, done.revenue_recovered
    )


def _figures(total: int, inspected: int, hits: int, revenue: Decimal | None) -> list[Figure]:
    return [
        Figure("declarations", _("Declarations"), total),
        Figure("inspections", _("Inspections"), inspected),
        Figure("inspection_rate", _("Inspection rate"), _rate(inspected, total), "%"),
        Figure("hit_rate", _("Inspections finding an irregularity"), _rate(hits, inspected), "%"),
        Figure("revenue_recovered", _("Revenue recovered"), _money(revenue)),
    ]


def _aeo_status(operators: QuerySet[Operator], on: date) -> dict[int, str]:
    held = AeoAuthorisation.objects.filter(valid_on(on), operator__in=operators)
    status: dict[int, str] = {}
    for a in held.order_by("programme"):
        status[a.operator_id] = ", ".join(filter(None, [status.get(a.operator_id), str(a)]))
    return status


def trader(user: User) -> tuple[list[Figure], list[Table]]:
    operators = visible_operators(user)
    today = timezone.localdate()
    status = _aeo_status(operators, today)
    figures = _party_figures(operators)
    rows = [
        (op.name, op.code, op.get_size_class_display(), status.get(op.pk, _("not certified")))
        for op in operators
    ]
    links = [reverse("operator_detail", args=[op.pk]) for op in operators]
    questions = _questions(operators)
    figures = [
        Figure("questions", _("Questions from customs to answer"), len(questions.rows)),
        *figures,
    ]
    asked = [questions] if questions.rows else []
    return figures, [*asked, Table(_("Your company"), _company_columns(), rows, links)]


def _company_columns() -> tuple[str, ...]:
    return (
        _("Name"),
        _("Identifier"),
        pgettext("size class of a company", "Size"),
        _("AEO status"),
    )


def _questions(operators: QuerySet[Operator]) -> Table:
    """Customs' open requests for information on the companies' applications, as links."""
    from greenlane.apps.certification import queries

    asked = queries.questions_open(operators)
    return Table(
        _("Customs asks you"),
        (_("Application"), _("Company"), _("Asked on"), _("Question")),
        [
            (
                r.application.number,
                r.application.operator.name,
                timezone.localtime(r.asked_at).date(),
                Truncator(r.question).chars(120),
            )
            for r in asked
        ],
        [reverse("application_detail", args=[r.application_id]) for r in asked],
    )


def consultant(user: User) -> tuple[list[Figure], list[Table]]:
    operators = visible_operators(user)
    today = timezone.localdate()
    status = _aeo_status(operators, today)
    rows = [
        (op.name, op.code, op.get_size_class_display(), status.get(op.pk, _("not certified")))
        for op in operators
    ]
    questions = _questions(operators)
    figures = [
        Figure("clients", _("Clients"), len(rows)),
        Figure("certified_clients", _("Clients holding an AEO status"), len(status)),
        Figure("questions", _("Questions from customs to answer"), len(questions.rows)),
        *_party_figures(operators)[:1],
    ]
    links = [reverse("operator_detail", args=[op.pk]) for op in operators]
    asked = [questions] if questions.rows else []
    return figures, [*asked, Table(_("Your clients"), _company_columns(), rows, links)]


def aeo_officer(user: User) -> tuple[list[Figure], list[Table]]:
    operators = visible_operators(user)
    today = timezone.localdate()
    held = in_force(today).filter(operator__in=operators)
    country = user.organisation.country if user.organisation else ""
    domestic = in_force(today, country).filter(operator__in=operators)
    certified = operators.filter(pk__in=domestic.values("operator_id"))
    expiring = domestic.filter(valid_to__lte=today + timedelta(days=180)).count()
    msmes = operators.filter(size_class__in=MSME_CLASSES, trade_role="importer")
    by_programme = list(
        held.values("programme", "tier").annotate(n=Count("id")).order_by("programme", "tier")
    )
    from greenlane.apps.certification import queries

    waiting = queries.attention(user)
    todo = waiting[:20]
    late_reviews = queries.overdue_reviews(user)
    renewals = list(queries.renewals_due()[:20])
    overdue = sum(1 for a in waiting if a.days > settings.SERVICE_STANDARD_DAYS)
    return [
        Figure("open_applications", _("Applications for you"), len(waiting)),
        Figure("overdue_applications", _("Overdue applications"), overdue),
        Figure("overdue_reviews", _("Overdue self-reviews"), len(late_reviews)),
        Figure("operators", _("Operators on record"), operators.count()),
        Figure("certified", _("Certified AEOs (domestic)"), certified.count()),
        Figure("partner_aeos", _("Partner AEOs recognised"), held.exclude(pk__in=domestic).count()),
        Figure(
            "msme_certified",
            _("MSME importers certified"),
            certified.filter(pk__in=msmes).count(),
        ),
        Figure("msmes", _("MSME importers"), msmes.count()),
        Figure("expiring", _("Certificates expiring within 180 days"), expiring),
    ], [
        Table(
            _("Needs your attention"),
            (
                _("Application"),
                _("Company"),
                pgettext("stage of an application", "Stage"),
                pgettext("days an application has waited", "Days"),
                pgettext("why an application needs attention", "Why"),
            ),
            [
                (
                    a.application.number,
                    a.application.operator.name,
                    a.application.get_stage_display(),
                    round(a.days),
                    a.why,
                )
                for a in todo
            ],
            [reverse("application_detail", args=[a.application.pk]) for a in todo],
        ),
        Table(
            _("Certificates ending within 180 days, no renewal under way"),
            (_("Certificate"), _("Holder"), pgettext("end of a certificate's validity", "Ends")),
            [(c.number, c.operator.name, c.valid_to) for c in renewals],
            [reverse("certificate_detail", args=[c.pk]) for c in renewals],
        ),
        Table(
            _("Overdue self-reviews"),
            (_("Certificate"), _("Holder"), pgettext("date a self-review is due", "Due")),
            [(r.certificate.number, r.certificate.operator.name, r.due_on) for r in late_reviews],
            [reverse("certificate_detail", args=[r.certificate.pk]) for r in late_reviews],
        ),
        Table(
            _("AEO status in force"),
            (_("Programme"), _("Tier"), _("Operators")),
            [(r["programme"], r["tier"], r["n"]) for r in by_programme],
        ),
    ]


def risk_analyst(user: User) -> tuple[list[Figure], list[Table]]:
    rows = [
        (r["office_code"], r["n"], r["hits"], f"{_rate(r['hits'], r['n'])} %")
        for r in tallies.inspections_by_office()
    ]
    active = ModelVersion.objects.filter(is_active=True).first()
    model_figures = []
    if active is not None:
        model_figures = [
            Figure(
                "model_version",
                _("Active risk model"),
                pgettext("number of a risk model version", "v%(version)s")
                % {"version": active.version},
            ),
            Figure(
                "model_precision_5",
                _("Its precision at 5%% (held out)") % {},
                active.metrics.get("precision@5", "—"),
            ),
            Figure("scored", _("Declarations scored"), tallies.scores(active)),
        ]
    return _all_declaration_figures() + model_figures, [
        Table(
            _("Inspections by office"),
            (
                _("Office"),
                _("Inspections"),
                pgettext("inspections that found something", "Hits"),
                _("Hit rate"),
            ),
            rows,
        )
    ]


def inspection_officer(user: User) -> tuple[list[Figure], list[Table]]:
    since = (tallies.newest_day() or timezone.localdate()) - timedelta(days=29)
    recent = tallies.inspections(since)
    return [
        Figure("inspections_30d", _("Inspections, last 30 days of data"), recent.inspections),
        Figure("hits_30d", _("Irregularities found"), recent.irregularities),
        Figure("critical_30d", _("Critical findings"), recent.critical),
    ], [
        Table(
            _("Inspections since %(day)s") % {"day": date_format(since, "SHORT_DATE_FORMAT")},
            (_("Office"), _("Inspections")),
            [(r["office_code"], r["n"]) for r in tallies.inspections_by_office(since)],
        )
    ]


def statistician(user: User) -> tuple[list[Figure], list[Table]]:
    total = tallies.declarations()
    today = timezone.localdate()
    aeo_codes = AeoAuthorisation.objects.filter(valid_on(today)).values("operator__code")
    by_aeo = tallies.declarations_of(aeo_codes)
    by_office = tallies.by_office_and_mode()
    modes = dict(TransportMode.choices)
    rows = [
        (
            r["office_code"],
            modes.get(r["transport_mode"], r["transport_mode"]),
            r["n"],
            f"{_rate(r['n'], total)} %",
        )
        for r in by_office
    ]
    return [
        Figure("declarations", _("Declarations"), total),
        Figure("offices", _("Customs offices"), len({r["office_code"] for r in by_office})),
        Figure("importers", _("Importers declaring"), tallies.importers()),
        Figure(
            "aeo_share",
            _("Declarations by importers holding an AEO status"),
            _rate(by_aeo, total),
            "%",
        ),
    ], [
        Table(
            _("Declarations by office"),
            (
                _("Office"),
                pgettext("mode of transport", "Mode"),
                _("Declarations"),
                pgettext("share of all declarations", "Share"),
            ),
            rows,
        )
    ]


def administrator(user: User) -> tuple[list[Figure], list[Table]]:
    users = User.objects.filter(is_active=True)
    by_role = users.values("role").annotate(n=Count("id")).order_by("role")
    labels = dict(Role.choices)
    return [
        Figure("users", _("Active users"), users.count()),
        Figure("organisations", _("Organisations"), Organisation.objects.count()),
        Figure(
            "audit_events",
            _("Audit events"),
            next(iter(ChainHead.objects.filter(pk=1).values_list("seq", flat=True)), 0),
        ),
    ], [
        Table(
            _("Users by role"),
            (_("Role"), _("Users")),
            [(labels.get(r["role"], r["role"]), r["n"]) for r in by_role],
        )
    ]


HOME_FIGURES = {
    Role.TRADER: trader,
    Role.CONSULTANT: consultant,
    Role.VALIDATOR: aeo_officer,
    Role.DECISION_OFFICER: aeo_officer,
    Role.RISK_ANALYST: risk_analyst,
    Role.INSPECTION_OFFICER: inspection_officer,
    Role.STATISTICIAN: statistician,
    Role.ADMINISTRATOR: administrator,
}
