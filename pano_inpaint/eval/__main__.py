"""``python -m pano_inpaint.eval DIR [DIR ...] --out OUT_DIR [...]``."""

import sys

from pano_inpaint.eval.runner import main

sys.exit(main())
