"""Collection rules for the whole repository (pytest also collects the package's doctests)."""

import importlib.util

# The web app is an optional extra: without FastAPI its modules cannot be imported at all.
collect_ignore_glob = [] if importlib.util.find_spec("fastapi") else ["pano_inpaint/web/*"]
