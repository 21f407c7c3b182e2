"""``python -m pano_inpaint`` runs the command line."""

from pano_inpaint.cli import main

raise SystemExit(main())
