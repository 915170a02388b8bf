"""``python -m cad_ml_edge`` runs the CLI."""

import sys

from cad_ml_edge.cli import main

sys.exit(main())
