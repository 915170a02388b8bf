"""``cadml``: the platform's command line.

Examples::

    cadml serve                               # API + embedded workers on 127.0.0.1:8000
    cadml admin create-api-key --name demo --scopes models:read,models:write
    cadml design params --family prism_with_hole --set length=100 --set width=50 \\
        --set height=30 --set hole_diameter=10 --out out/
    cadml jobs list
    cadml twin devices register press-7 --type hydraulic_press
    cadml simulate --devices 10 --rate 5 --mqtt      # needs CADML_MQTT_URL or --mqtt-url
    cadml ingest --mqtt-url mqtt://127.0.0.1:1883   # an MQTT ingestor process
"""

from __future__ import annotations

import sys

import click

import cadml
from cadml.cli import (
    admin,
    db,
    design,
    ingest,
    jobs,
    ml,
    ml_anomaly,
    ml_classifier,
    physics,
    server,
    simulate,
    twin,
)
from cadml.errors import CadmlError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(cadml.__version__, prog_name="cadml")
def cli() -> None:
    """CAD-ML Platform: parametric CAD, physics and digital twins for machine builders.

    Settings come from CADML_* environment variables (or a .env file); with none set,
    everything runs embedded: SQLite and artefacts under ./var, worker processes in
    the server. Run `cadml COMMAND --help` for details.
    """


cli.add_command(server.serve)
cli.add_command(server.worker)
cli.add_command(admin.admin)
cli.add_command(design.design)
cli.add_command(physics.physics)
cli.add_command(jobs.jobs)
cli.add_command(db.db)
cli.add_command(twin.twin)
cli.add_command(ingest.ingest)
cli.add_command(simulate.simulate)
cli.add_command(ml.ml)
ml.ml.add_command(ml_classifier.train_classifier)
ml.ml.add_command(ml_classifier.export)
ml.ml.add_command(ml_anomaly.anomaly)


def main() -> None:
    """Entry point: run the CLI and turn platform errors into a message and exit code 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CadmlError as exc:
        click.secho(f"error {exc.code}: {exc.message('en')}", fg="red", err=True)
        click.echo(f"  tr: {exc.message('tr')}", err=True)
        for suggestion in exc.suggestions:
            click.echo(f"  hint: {suggestion.en}", err=True)
        sys.exit(2)
