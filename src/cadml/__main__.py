"""``python -m cadml`` runs the CLI."""

from cadml.cli.main import main

main()
