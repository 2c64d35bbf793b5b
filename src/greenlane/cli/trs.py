"""Time Release Studies: trs run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from greenlane.cli._common import CommandError, _django, _progress, console

trs_app = typer.Typer(help="Time Release Studies (WCO method).", no_args_is_help=True)


@trs_app.command("run")
def trs_run(
    events: Annotated[list[Path], typer.Argument(help="Event logs: CSV or Parquet, wide or long")],
    out: Annotated[Path, typer.Option(help="The report: .html (charts included) or .pdf")],
    engine: Annotated[str, typer.Option(help="duckdb, postgres or spark")] = "duckdb",
    url: Annotated[
        str | None, typer.Option(help="PostgreSQL URL (default: the application's database)")
    ] = None,
    title: Annotated[str, typer.Option(help="The study's title")] = "Time Release Study",
    targets: Annotated[str, typer.Option(help="Release targets in hours")] = "24, 48, 72",
    max_hours: Annotated[
        float | None, typer.Option(help="Outlier rule: exclude over this many hours")
    ] = 720.0,
    iqr: Annotated[
        float | None, typer.Option(help="Outlier rule: exclude above Q3 + k x IQR")
    ] = 3.0,
    replicates: Annotated[int, typer.Option(help="Bootstrap replicates of the AEO effect")] = 200,
    rate: Annotated[
        list[str] | None,
        typer.Option(
            help="Value of a day, % of goods value, low,central,high: for all goods "
            "('0.6,1.35,2.1', the default) or an HS section ('XVI=0.8,1.5,2.1'); repeatable"
        ),
    ] = None,
    previous: Annotated[
        Path | None, typer.Option(help="A previous study's --json result to compare with")
    ] = None,
    as_json: Annotated[
        Path | None, typer.Option("--json", help="Also write the result document (JSON) here")
    ] = None,
) -> None:
    """Measure release times from event logs and write the report."""
    import json

    from greenlane.core.trs import effect, metrics, study
    from greenlane.core.trs.events import EventFileError

    missing = [p for p in events if not p.is_file()]
    if missing:
        raise CommandError(f"{missing[0]}: no such file")
    if out.suffix.lower() not in (".html", ".pdf"):
        raise CommandError("--out must name a .html or .pdf file")
    if engine not in metrics.ENGINES:
        raise CommandError(f"unknown engine {engine!r} (one of {', '.join(metrics.ENGINES)})")
    _django()
    from greenlane import analytics
    from greenlane.apps.trs import services
    from greenlane.web import trs_report

    try:
        settings = metrics.Settings(
            targets_hours=services.parse_targets(targets), max_hours=max_hours, iqr_factor=iqr
        )
        rates = dict(effect.DEFAULT_RATES)
        for given in rate or []:
            section, _, values = given.rpartition("=")
            if section:  # one HS section
                rates.update(services.parse_rates(f"{section}: {values}"))
            else:  # every other good (checked like a section's line)
                rates["*"] = services.parse_rates(f"I: {values}")["I"]
        if engine == "postgres" and url is None:
            if "postgres" not in services.engines():
                raise CommandError("the application's database is not PostgreSQL: give --url")
            url = analytics.postgres_url()
        earlier = study.load_document(previous) if previous else None
        with _progress() as progress:
            task = progress.add_task("Time Release Study", total=100)

            def step(text: str, share: float) -> None:
                progress.update(task, completed=round(share * 100), description=text)

            document = study.run(
                events,
                title=title,
                settings=settings,
                effect_settings=effect.EffectSettings(replicates=replicates, rates=rates),
                engine=engine,
                url=url,
                previous=earlier,
                step=step,
            )
    except (EventFileError, services.Refused, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if out.suffix.lower() == ".pdf":
        out.write_bytes(trs_report.render_pdf(document))
    else:
        out.write_text(trs_report.render_standalone(document), encoding="utf-8")
    if as_json:
        as_json.write_text(json.dumps(document, indent=1), encoding="utf-8")
    total = next(i for i in document["metrics"]["intervals"] if i["name"] == "total")
    rejected = sum(f["rows_rejected"] for f in document["input"]["files"])
    console.print(
        f"{document['metrics']['consignments']:,} consignments measured "
        f"({rejected:,} rows rejected, {len(document['metrics']['excluded']):,} outliers "
        f"excluded): arrival to release mean {total['mean']:.1f} h, median "
        f"{total['median']:.1f} h. Report: {out}"
    )
