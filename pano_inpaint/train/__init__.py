"""Training the ``net`` generator: data sampling, losses and the resumable loop
(:func:`pano_inpaint.train.loop.train`, behind ``pano-inpaint train``), and the model card's
evaluation (:mod:`pano_inpaint.train.evaluate`, behind ``pano-inpaint eval-net``).

Nothing here is imported by ``import pano_inpaint``; the loop imports torch.
"""
