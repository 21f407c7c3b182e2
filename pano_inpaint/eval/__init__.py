"""Evaluation harness: every quality and speed claim from one reproducible command.

``pano-inpaint eval DIR [DIR ...] --out OUT_DIR`` (:func:`run_evaluation`) fills
synthetic holes (:mod:`~pano_inpaint.masks.families`) in real panoramas with every registered
generator and the peers users run today (:mod:`~pano_inpaint.eval.methods`), scores them
(:mod:`~pano_inpaint.eval.metrics`) and writes Markdown, JSON and HTML reports
(:mod:`~pano_inpaint.eval.report`). Nothing here is imported by ``import pano_inpaint``.
"""

from pano_inpaint.eval.runner import EvalResults, run_evaluation

__all__ = ["EvalResults", "run_evaluation"]
