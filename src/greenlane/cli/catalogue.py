"""The AEO criteria catalogue (catalogue check, catalogue list) and the offline self-test
(assess)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from greenlane.cli._common import CommandError, _date, _django, console, err

if TYPE_CHECKING:
    from greenlane.core.criteria.engine import Readiness
    from greenlane.core.criteria.gaps import Gap

commands = typer.Typer()
catalogue_app = typer.Typer(help="The AEO criteria catalogue.", no_args_is_help=True)


@catalogue_app.command("check")
def catalogue_check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Programme files or folders, an mras.yaml or an agreements.yaml (default: shipped)"
        ),
    ] = None,
) -> None:
    """Validate programme files, and the MRA and agreement data files, the way Greenlane
    loads its own."""
    from greenlane.core.certification.mras import load_mras
    from greenlane.core.criteria.loader import CatalogueError, check, load_catalogue
    from greenlane.core.origin.agreements import load_agreements

    data_files = ("mras.yaml", "agreements.yaml")

    try:
        if paths:
            missing = [p for p in paths if not p.exists()]
            if missing:
                raise CommandError(f"{missing[0]}: no such file or folder")
            rest = [p for p in paths if p.name not in data_files]
            programmes = check(rest) if rest else []
            arrangements = {p: load_mras(p) for p in paths if p.name == "mras.yaml"}
            agreements = {p: load_agreements(p) for p in paths if p.name == "agreements.yaml"}
        else:
            programmes = list(load_catalogue().programmes.values())
            arrangements = {Path("mras.yaml"): load_mras()}
            agreements = {Path("agreements.yaml"): load_agreements()}
    except CatalogueError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        raise typer.Exit(2) from None
    for programme in programmes:
        versions = ", ".join(f"{v.version} ({v.coverage})" for v in programme.versions)
        console.print(f"[green]OK[/] {programme.id}: {versions}")
    for path, found in arrangements.items():
        console.print(f"[green]OK[/] {path.name}: {len(found)} arrangements, each cited and dated")
    for path, listed in agreements.items():
        console.print(f"[green]OK[/] {path.name}: {len(listed)} agreements, each cited and dated")


@catalogue_app.command("list")
def catalogue_list() -> None:
    """The programmes in the catalogue, their versions and coverage."""
    from greenlane.core.criteria.loader import shipped

    catalogue = shipped()
    table = Table("Programme", "Title", "Version", "In force", "Coverage", "Criteria", "Tiers")
    for programme in catalogue.programmes.values():
        for v in programme.versions:
            period = f"{v.valid_from} to {v.valid_to or 'open'}"
            tiers = ", ".join(t.id for t in v.tiers)
            table.add_row(
                programme.id,
                programme.title,
                v.version,
                period,
                v.coverage,
                str(len(v.criteria)),
                tiers,
            )
    console.print(table)
    console.print(f"Baseline: {len(catalogue.baseline.requirements)} requirements")


@commands.command()
def assess(
    answers: Annotated[Path, typer.Argument(help="Self-test answers (YAML)")],
    programme: Annotated[
        list[str] | None, typer.Option(help="Programme id (repeat; default: every programme)")
    ] = None,
    on: Annotated[
        str | None, typer.Option(help="Assessment date (default: the file's, or today)")
    ] = None,
    pdf: Annotated[
        Path | None, typer.Option(help="Also write the gap-analysis report as PDF")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only")] = False,
) -> None:
    """Readiness and gaps of a self-test for AEO programmes, offline."""
    import json

    from greenlane.core.criteria import selftest
    from greenlane.core.criteria.engine import NotInForce
    from greenlane.core.criteria.engine import assess as run
    from greenlane.core.criteria.gaps import gaps
    from greenlane.core.criteria.loader import CatalogueError, shipped

    if not answers.is_file():
        raise CommandError(f"{answers}: no such file")
    catalogue = shipped()
    try:
        test = selftest.read(answers, catalogue)
        day = _date(on) if on else (test.on or date.today())
        for pid in programme or []:
            if pid not in catalogue.programmes:
                raise CommandError(f"no programme '{pid}' (see: greenlane catalogue list)")
        readiness = run(catalogue, test.answers, test.profile, day, programme)
    except CatalogueError as exc:
        for problem in exc.problems:
            err.print(f"greenlane: error: {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None
    except NotInForce as exc:
        raise CommandError(str(exc)) from None
    found = gaps(catalogue, test.answers, test.profile, day, readiness)
    if pdf is not None:
        _django()
        from greenlane.apps.assessments.report import render_pdf, report_context
        from greenlane.core.criteria.export import readiness_dict

        context = report_context(
            readiness_dict(readiness, found), title=f"Self-test {answers.name}"
        )
        pdf.write_bytes(render_pdf(context))
    if as_json:
        from greenlane.core.criteria.export import readiness_dict

        print(json.dumps(readiness_dict(readiness, found)))
        return
    _print_readiness(readiness, found)
    if pdf is not None:
        console.print(f"Report written to {pdf}")


def _print_readiness(readiness: Readiness, found: list[Gap]) -> None:
    table = Table(
        "Programme", "Version", "Reachable today", "Scores", title=f"Readiness on {readiness.on}"
    )
    for p in readiness.programmes:
        scores = ", ".join(
            f"{g.title} {g.score:.0f}" if g.score is not None else f"{g.title} n/a"
            for g in p.groups
        )
        table.add_row(p.programme.title, p.version.version, p.best_tier or "none yet", scores)
    console.print(table)
    for pid in readiness.not_in_force:
        console.print(f"[yellow]{pid}: no version in force on {readiness.on}[/]")
    if found:
        gaps_table = Table(
            "Requirement", "Answer", "Unlocks", "Blocks", title="Gaps, most useful first"
        )
        for gap in found[:15]:
            gaps_table.add_row(
                f"{gap.requirement.id} {gap.requirement.title}",
                gap.answer or "unanswered",
                ", ".join(f"{p} {t}" for p, t in gap.unlocks) or "-",
                str(len(gap.blocks)),
            )
        console.print(gaps_table)
