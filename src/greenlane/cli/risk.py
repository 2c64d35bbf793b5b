"""Risk targeting: evaluate, train, retrain, promote, drift, score, simulate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from greenlane.cli._common import CommandError, _django, _progress, console, err

commands = typer.Typer()


@commands.command()
def evaluate(
    mapping: Annotated[str, typer.Option(help="Mapping name or file for all the files")],
    train: Annotated[list[Path], typer.Option(help="Training file (repeat for several)")],
    test: Annotated[Path, typer.Option(help="Test file, dated after the training files")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object only")] = False,
) -> None:
    """Fit the risk model on the training files, score the test file, compare with baselines."""
    import json

    from greenlane.core.risk.evaluate import evaluate as run
    from greenlane.core.risk.mapping import MappingError
    from greenlane.core.risk.mapping import load_file_or_name as load_mapping
    from greenlane.core.risk.readers import FileError

    for path in [*train, test]:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
    try:
        column_mapping = load_mapping(mapping)
        say = (lambda _: None) if as_json else (lambda text: err.print(f"[dim]{text}…[/]"))
        result = run(column_mapping, train, test, step=say)
    except (MappingError, FileError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if as_json:
        print(json.dumps(result))
        return
    table = Table("Metric", "Model", "LightGBM", "XGBoost", title=f"Test: {test.name}")
    for key, value in result["model"].items():
        base = result["baselines"]
        table.add_row(
            key, f"{value:.3f}", f"{base['lightgbm'][key]:.3f}", f"{base['xgboost'][key]:.3f}"
        )
    console.print(table)
    console.print(f"Rows: {result['rows']}")


@commands.command()
def train(
    activate: Annotated[bool, typer.Option(help="Make the new version the one that scores")] = True,
) -> None:
    """Train a risk model version on the declarations and inspection results on record."""
    _django()
    from greenlane.apps.targeting import services

    try:
        version = services.train(activate=activate, say=lambda text: err.print(f"[dim]{text}…[/]"))
    except services.TrainingError as exc:
        raise CommandError(str(exc)) from None
    table = Table(
        "Metric",
        "Held-out value",
        title=f"Model v{version.version} (held out from {version.holdout_from})",
    )
    for key, value in version.metrics.items():
        table.add_row(key, f"{value:.3f}")
    console.print(table)
    state = "active" if version.is_active else "not active"
    console.print(
        f"Trained on {version.labelled_rows:,} inspection results; v{version.version} is {state}."
    )


@commands.command()
def retrain(
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON")] = False,
) -> None:
    """Train a challenger on everything on record and compare it with the active version on
    the same held-out inspected declarations; it scores only once promoted
    (`greenlane promote`)."""
    _django()
    import json

    from greenlane.apps.targeting import retraining, services

    with _progress() as progress:
        job = progress.add_task("training", total=100)
        try:
            version = retraining.retrain(
                step=lambda text, share: progress.update(
                    job, completed=round(share * 100), description=str(text)
                )
            )
        except services.TrainingError as exc:
            raise CommandError(str(exc)) from None
        progress.update(job, completed=100, description="done")
    compared = version.comparison or {}
    if as_json:
        console.print_json(json.dumps({"version": version.version, "comparison": compared}))
        return
    _print_comparison(version.version, compared)


def _print_comparison(number: int, compared: dict[str, Any]) -> None:
    if compared.get("metrics"):
        table = Table(
            "Metric",
            f"Champion v{compared['champion']}",
            f"Challenger v{number}",
            "Difference, 90% interval",
            "Verdict",
            title=f"On {compared['rows']:,} held-out inspected declarations "
            f"({compared['from']} to {compared['to']})",
        )
        for m in compared["metrics"]:
            table.add_row(
                m["metric"],
                f"{m['champion']:.3f}",
                f"{m['challenger']:.3f}",
                f"{m['low']:+.3f} to {m['high']:+.3f}",
                m["verdict"],
            )
        console.print(table)
        if compared.get("champion_saw_them"):
            console.print(
                f"[yellow]v{compared['champion']} was trained on part of these declarations: "
                "its figures are flattering.[/]"
            )
        console.print(f"v{number} is a challenger: {compared['verdict']}. Promote it with "
                      f"`greenlane promote {number}`.")  # fmt: skip
    else:
        note = compared.get("error") or compared.get("note") or "not compared"
        console.print(f"v{number} trained; {note}. Promote it with `greenlane promote {number}`.")


@commands.command()
def promote(
    version: Annotated[int, typer.Argument(help="The model version to make active")],
    reason: Annotated[
        str, typer.Option(help="Why, when the challenger did worse than the active version")
    ] = "",
) -> None:
    """Make a model version the one that scores, after its champion/challenger comparison."""
    _django()
    from greenlane.apps.targeting import retraining
    from greenlane.apps.targeting.models import ModelVersion

    found = ModelVersion.objects.filter(version=version).first()
    if found is None:
        raise CommandError(f"there is no model v{version}")
    try:
        retraining.promote(found, None, reason)
    except retraining.Refused as exc:
        raise CommandError(str(exc)) from None
    console.print(f"Model v{version} now scores new declarations.")


@commands.command()
def rollback(
    version: Annotated[int, typer.Argument(help="The earlier active version to bring back")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
) -> None:
    """Make an earlier active model version the one that scores again; the declarations it
    has not scored yet are scored by the background worker."""
    _django()
    from greenlane.apps.targeting import retraining, services
    from greenlane.apps.targeting.models import ModelVersion

    found = ModelVersion.objects.filter(version=version).first()
    if found is None:
        raise CommandError(f"there is no model v{version}")
    try:
        retraining.roll_back(found, None, reason)
    except (retraining.Refused, services.TrainingError) as exc:
        raise CommandError(str(exc)) from None
    console.print(
        f"Model v{version} scores new declarations again; what it has not scored yet is queued "
        "for the background worker (greenlane worker)."
    )


@commands.command()
def drift(
    version: Annotated[
        int | None, typer.Option(help="Model version (default: the active one)")
    ] = None,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks to show")] = 12,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Week by week: the model's score distribution against its training reference (PSI)
    and the inspections' hit rate."""
    _django()
    import json

    from greenlane.apps.targeting import retraining
    from greenlane.apps.targeting.models import ModelVersion

    chosen = (
        ModelVersion.objects.filter(version=version).first()
        if version is not None
        else ModelVersion.objects.filter(is_active=True).first()
    )
    if chosen is None:
        raise CommandError("no such model version" if version else "no active model")
    if not chosen.reference:
        raise CommandError(f"v{chosen.version} kept no reference distribution: train a new version")
    report = retraining.drift(chosen, weeks=weeks)
    if as_json:
        console.print_json(json.dumps(report))
        return
    table = Table(
        "Week of", "Scored", "Mean", "PSI", "Distribution", "Inspections", "Hit rate",
        title=f"Model v{chosen.version}: drift against {report['reference']['from']} to "
        f"{report['reference']['to']}",
    )  # fmt: skip
    for w in report["weeks"]:
        table.add_row(
            w["week"],
            f"{w['scored']:,}",
            "—" if w["mean"] is None else f"{w['mean']:.3f}",
            "—" if w["psi"] is None else f"{w['psi']:.3f}",
            w["status"],
            f"{w['inspected']:,}",
            "—"
            if w["hit_rate"] is None
            else f"{w['hit_rate']:.1%}"
            + (" (below reference)" if w["hit_below_reference"] else ""),
        )
    console.print(table)


@commands.command()
def score(
    file: Annotated[
        Path | None, typer.Option(help="Score this file instead of the declarations on record")
    ] = None,
    mapping: Annotated[str, typer.Option(help="Mapping of --file")] = "greenlane",
    out: Annotated[
        Path | None, typer.Option(help="With --file: write scores here (.csv or .parquet)")
    ] = None,
    version: Annotated[
        int | None, typer.Option(help="Model version (default: the active one)")
    ] = None,
) -> None:
    """Score declarations with a model version: fraud probability, revenue at stake, reasons."""
    _django()
    from greenlane.apps.targeting import scoring, services
    from greenlane.apps.targeting.models import ModelVersion

    chosen = None
    if version is not None:
        chosen = ModelVersion.objects.filter(version=version).first()
        if chosen is None:
            raise CommandError(f"no model version {version}")
    try:
        if file is None:
            with _progress() as bar:
                job = bar.add_task("scoring", total=100)
                result = scoring.score_stored(
                    version=chosen,
                    step=lambda text, share: bar.update(
                        job, completed=round(share * 100), description=str(text)
                    ),
                )
            console.print(
                f"Scored {result.scored:,} declarations with model v{result.version.version}."
            )
            return
        _score_file(file, mapping, out, chosen)
    except services.TrainingError as exc:
        raise CommandError(str(exc)) from None


def _score_file(file: Path, mapping: str, out: Path | None, chosen: object) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from greenlane.apps.targeting import services
    from greenlane.apps.targeting.models import ModelVersion
    from greenlane.core import csvsafe
    from greenlane.core.risk.frames import read_frame
    from greenlane.core.risk.mapping import MappingError
    from greenlane.core.risk.mapping import load_file_or_name as load_mapping
    from greenlane.core.risk.readers import FileError

    version = chosen or ModelVersion.objects.filter(is_active=True).first()
    if not isinstance(version, ModelVersion):
        raise CommandError("no active model: train one first (greenlane train)")
    if out is None or out.suffix not in {".csv", ".parquet"}:
        raise CommandError("--out must name a .csv or .parquet file")
    try:
        frame, rejected = read_frame([file], load_mapping(mapping))
    except (MappingError, FileError) as exc:
        raise CommandError(str(exc)) from None
    scored = services.score_frame(services.load(version), frame, reasons_share=1.0)
    numbers = frame["number"].astype(str).tolist()
    reasons = ["; ".join(str(r.text) for r in why) for why in scored.reasons]
    if out.suffix == ".csv":  # opened in a spreadsheet: no cell may run as a formula
        numbers, reasons = [csvsafe.cell(n) for n in numbers], [csvsafe.cell(r) for r in reasons]
    table = pa.table(
        {
            "declaration_number": numbers,
            "probability": scored.probability,
            "revenue_at_stake": scored.revenue_at_stake,
            "reasons": reasons,
        }
    )
    (pq.write_table if out.suffix == ".parquet" else pacsv.write_csv)(table, out)
    console.print(
        f"Scored {table.num_rows:,} declarations ({rejected:,} rows rejected) into {out}."
    )


@commands.command()
def simulate(
    folder: Annotated[Path, typer.Argument(help="A synthetic economy (greenlane synth FOLDER)")],
    rate: Annotated[float, typer.Option(help="Share of each week's declarations examined")] = 0.05,
    random_rate: Annotated[float, typer.Option(help="Minimum random sampling rate")] = 0.005,
    exploration: Annotated[float, typer.Option(help="Share of capacity for exploration")] = 0.1,
    aeo_reduction: Annotated[float, typer.Option(help="AEO benefit on the score")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed: the same seed, the same run")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Replay a period week by week: the model retrained on what was inspected, the policy
    picking each week's examinations; hit rate, frauds and revenue caught, AEO rates."""
    import dataclasses
    import json

    from greenlane.core.risk.selectivity import PolicyError
    from greenlane.core.risk.simulation import Scenario, from_synthetic, summary
    from greenlane.core.risk.simulation import simulate as replay

    if not (folder / "truth.parquet").is_file():
        raise CommandError(f"{folder}: no synthetic economy here (greenlane synth {folder})")
    scenario = Scenario(rate, random_rate, exploration, aeo_reduction, seed=seed)
    try:
        frame, aeo = from_synthetic(folder)
        weeks = replay(frame, aeo, scenario)
    except PolicyError as exc:
        raise CommandError(str(exc)) from None
    if as_json:
        print(
            json.dumps({"summary": summary(weeks), "weeks": [dataclasses.asdict(w) for w in weeks]})
        )
        return
    table = Table("Week", "Declarations", "Examined", "Frauds found", "Hit rate", "AEO rate",
                  "Others' rate", title="Week by week")  # fmt: skip
    for w in weeks:
        table.add_row(
            f"{w.week} ({w.start})", f"{w.declarations:,}", f"{w.inspections:,}",
            f"{w.frauds_found:,} of {w.frauds:,}",
            f"{w.hit_rate:.1%}" if w.hit_rate is not None else "-",
            f"{w.aeo_rate:.1%}" if w.aeo_rate is not None else "-",
            f"{w.other_rate:.1%}" if w.other_rate is not None else "-",
        )  # fmt: skip
    console.print(table)
    total = summary(weeks)
    console.print(
        f"Hit rate {total['hit_rate']:.1%}; frauds caught {total['frauds_caught']:.1%}; "
        f"revenue caught {total['revenue_caught']:.1%}."
    )


@commands.command()
def queue(
    office: Annotated[str, typer.Option(help="Customs office code")] = "",
    date_from: Annotated[
        str, typer.Option("--from", help="Declared on or after (YYYY-MM-DD)")
    ] = "",
    date_to: Annotated[str, typer.Option("--to", help="Declared on or before (YYYY-MM-DD)")] = "",
    channel: Annotated[str, typer.Option(help="red or yellow (default: both)")] = "",
    hs: Annotated[str, typer.Option(help="The start of the HS code, e.g. 8471")] = "",
    importer: Annotated[str, typer.Option(help="Importer identifier")] = "",
    assignee: Annotated[str, typer.Option(help='An officer\'s username, or "none"')] = "",
    out: Annotated[
        Path | None, typer.Option(help="Write all of it to a .csv or .xlsx file instead")
    ] = None,
) -> None:
    """Declarations sent to a check that still wait for a result, oldest first, filtered as on
    the queue page; shown (the first 50) or written to a file (up to 100,000 rows)."""
    _django()
    from datetime import date

    from greenlane.apps.targeting import queue as work
    from greenlane.core.errors import Refused
    from greenlane.core.tables import write_csv, write_xlsx

    try:
        chosen = work.Filter(
            office=office, channel=channel, hs=hs, importer=importer, assignee=assignee,
            date_from=date.fromisoformat(date_from) if date_from else None,
            date_to=date.fromisoformat(date_to) if date_to else None,
        )  # fmt: skip
        if channel not in ("", *work.CHECKS):
            raise Refused("the channel is red or yellow")
        waiting = work.waiting(chosen, None)
        if out is None:
            table = Table(*work.QUEUE_HEADER[:-1], title="Inspection queue")
            for row in work.queue_rows(waiting[:50]):
                table.add_row(*(str(v) for v in row[:-1]))
            console.print(table)
            return
        rows = work.queue_rows(waiting)
        if out.suffix.lower() == ".xlsx":
            with out.open("wb") as handle:
                n = write_xlsx(work.QUEUE_HEADER, rows, handle, "inspection-queue")
        elif out.suffix.lower() == ".csv":
            with out.open("w", newline="", encoding="utf-8") as text:
                n = write_csv(work.QUEUE_HEADER, rows, text)
        else:
            raise Refused(f"{out.name}: write to a .csv or .xlsx file")
    except ValueError as exc:  # a date that is not one
        raise CommandError(f"not a date (YYYY-MM-DD): {exc}") from None
    except Refused as exc:
        raise CommandError(str(exc)) from None
    console.print(f"Wrote {n:,} declarations to {out}.")
