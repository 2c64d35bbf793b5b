"""Electronic certificates of origin: origin issue (a signed UBL certificate from a JSON file)
and origin verify (signature, trust list folder and schema), which touch no database;
origin agreements (the cited agreements); origin receive (verify and keep, against the
administration's trust list) and origin trust add|list."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from greenlane.cli._common import CommandError, _date, _django, _require_migrated, console, err

origin_app = typer.Typer(
    help="Electronic certificates of origin (UBL, XML signature).", no_args_is_help=True
)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror or exc}") from None


@origin_app.command("verify")
def origin_verify(
    file: Annotated[Path, typer.Argument(help="The certificate of origin (UBL XML)")],
    trust: Annotated[
        Path,
        typer.Option(help="Trust list: a folder of PEM or DER certificates and CRLs"),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON document")
    ] = False,
) -> None:
    """Check the signature, the signer against the trust list, and the UBL schema.

    Exit 0 when all hold; exit 1 with one line per reason when not; exit 2 when the file or
    the trust list cannot be read."""
    from greenlane.core.origin.signature import verify
    from greenlane.core.origin.trust import TrustList, TrustListError

    data = _read(file)
    try:
        trusted = TrustList.from_directory(trust)
    except TrustListError as exc:
        raise CommandError(f"trust list: {exc}") from None
    result = verify(data, trusted)
    if as_json:
        sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n")
    elif result.valid:
        figures = result.certificate
        typer.echo(
            f"valid: certificate {figures['certificate_number']} ({figures['agreement']}), "
            f"signed by {result.signer} on {result.signed_at:%Y-%m-%d}, "
            f"{len(figures['items'])} goods item(s)"
        )
    else:
        for reason in result.reasons:
            err.print(reason, markup=False, highlight=False)
    raise typer.Exit(0 if result.valid else 1)


@origin_app.command("issue")
def origin_issue(
    data: Annotated[Path, typer.Argument(help="The certificate's data (JSON, docs/origin.md)")],
    key: Annotated[Path, typer.Option(help="The issuing authority's private key (PEM)")],
    cert: Annotated[Path, typer.Option(help="The issuing authority's certificate (PEM)")],
    out: Annotated[Path, typer.Option(help="Where to write the signed certificate (XML)")],
    passphrase_env: Annotated[
        str | None,
        typer.Option(help="Name of the environment variable holding the key's passphrase"),
    ] = None,
) -> None:
    """Write a signed UBL certificate of origin that `origin verify` and xmlsec1 accept."""
    import os

    from pydantic import ValidationError

    from greenlane.core.origin import document, schema
    from greenlane.core.origin.signature import SigningError, sign

    try:
        fields = json.loads(_read(data))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"{data}: not JSON ({exc})") from None
    try:
        certificate = document.CertificateData.model_validate(fields)
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "(the document)"
            err.print(f"{data}: {where}: {problem['msg']}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    root = document.build(certificate)
    problems = schema.validate(root)
    if problems:  # a bug in build(), never the user's data: say so plainly
        raise CommandError(f"the document built is not valid UBL: {problems[0]}")
    passphrase = None
    if passphrase_env is not None:
        if passphrase_env not in os.environ:
            raise CommandError(f"the environment variable {passphrase_env} is not set")
        passphrase = os.environ[passphrase_env].encode()
    try:
        signed = sign(root, _read(key), _read(cert), passphrase)
    except SigningError as exc:
        raise CommandError(str(exc)) from None
    try:
        out.write_bytes(signed)
    except OSError as exc:
        raise CommandError(f"{out}: {exc.strerror or exc}") from None
    console.print(
        f"certificate {certificate.number} signed: {out} ({len(signed):,} bytes)",
        markup=False,
        highlight=False,
    )


@origin_app.command("agreements")
def origin_agreements() -> None:
    """The preferential agreements in catalogue/agreements.yaml and their origin terms."""
    from rich.table import Table

    from greenlane.core.criteria.loader import CatalogueError
    from greenlane.core.origin.agreements import load_agreements

    try:
        agreements = load_agreements()
    except CatalogueError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(2) from None

    def said(value: object, unit: str = "") -> str:
        if value is None:
            return "unknown"
        if isinstance(value, bool):
            return "yes" if value else "no"
        return f"{value}{unit}"

    table = Table(
        "Agreement",
        "Parties",
        "In force",
        "Valid",
        "Retroactive",
        "Third-country invoice",
        "Reply to verification",
    )
    for a in agreements:
        reply = a.verification.reply_within_days
        table.add_row(
            a.id,
            " ".join(a.parties),
            a.in_force,
            said(a.validity_months, " months"),
            said(a.retroactive.allowed)
            + (f" ({a.retroactive.within_months} months)" if a.retroactive.within_months else ""),
            said(a.third_country_invoicing),
            f"{reply.min}-{reply.max} days"
            if reply
            else said(a.verification.reply_within_months, " months"),
        )
    console.print(table)
    console.print("unknown: no source read says; an unknown term never refuses a claim.")


def _customs_user(username: str, roles: frozenset[str]) -> Any:
    from greenlane.apps.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user '{username}'")
    if user.role not in roles:
        raise CommandError(f"'{username}' ({user.role}) may not do this")
    return user


@origin_app.command("receive")
def origin_receive(
    files: Annotated[list[Path], typer.Argument(help="Certificates of origin (UBL XML)")],
    by: Annotated[str, typer.Option("--by", help="Username of the customs officer receiving")],
) -> None:
    """Verify certificates of origin against the trust list and keep them (rejected ones
    with their reasons). Exit 1 when any is rejected."""
    _django()
    _require_migrated()
    from greenlane.apps.origin import services
    from greenlane.apps.origin.models import OriginCertificate
    from greenlane.apps.origin.permissions import RECEIVE_ROLES

    user = _customs_user(by, RECEIVE_ROLES)
    rejected = 0
    for path in files:
        try:
            received = services.receive(
                user, user.organisation_id, _read(path), OriginCertificate.Channel.CLI
            )
        except services.Refused as exc:
            raise CommandError(f"{path}: {exc}") from None
        certificate = received.certificate
        again = "" if received.created else " (received before)"
        if certificate.status == OriginCertificate.Status.REJECTED:
            rejected += 1
            err.print(f"{path}: rejected{again}", markup=False, highlight=False)
            for reason in certificate.english_reasons():
                err.print(f"  {reason}", markup=False, highlight=False)
        else:
            typer.echo(f"{path}: {certificate.number} from {certificate.partner} recorded{again}")
    raise typer.Exit(1 if rejected else 0)


trust_app = typer.Typer(help="The trust list certificates of origin are checked against.")
origin_app.add_typer(trust_app, name="trust")


@trust_app.command("add")
def trust_add(
    certificate: Annotated[Path, typer.Argument(help="A partner's certificate (PEM or DER)")],
    partner: Annotated[str, typer.Option(help="ISO 3166 code of the partner economy")],
    by: Annotated[str, typer.Option("--by", help="Username of the administrator")],
    trusted_from: Annotated[
        str | None, typer.Option("--from", help="Trusted from (YYYY-MM-DD; default its start)")
    ] = None,
    label: Annotated[str, typer.Option(help="A name for it on the trust list page")] = "",
) -> None:
    """Trust a partner's root or issuing-authority certificate."""
    _django()
    _require_migrated()
    from greenlane.apps.origin import services
    from greenlane.apps.origin.permissions import TRUST_ROLES

    user = _customs_user(by, TRUST_ROLES)
    start = _date(trusted_from) if trusted_from else None
    try:
        anchor = services.add_anchor(user, partner, _read(certificate), start, label)
    except services.Refused as exc:
        raise CommandError(str(exc)) from None
    typer.echo(f"{anchor.subject} trusted for {anchor.partner} from {anchor.trusted_from}")


@trust_app.command("list")
def trust_list(
    by: Annotated[str, typer.Option("--by", help="Username of a customs officer")],
) -> None:
    """The trust list of the officer's administration."""
    _django()
    _require_migrated()
    from rich.table import Table

    from greenlane.apps.origin.permissions import VIEW_ROLES, visible_anchors

    user = _customs_user(by, VIEW_ROLES)
    table = Table("Id", "Partner", "Subject", "Authority", "Trusted from", "Retired on")
    for a in visible_anchors(user):
        table.add_row(
            str(a.pk), a.partner, a.subject, "yes" if a.is_authority else "no",
            str(a.trusted_from), str(a.retired_on or ""),
        )  # fmt: skip
    console.print(table)
