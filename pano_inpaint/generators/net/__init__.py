"""The ``net`` generator: a LaMa-style network that fills all six faces of a cube at once.

Design (why this shape):

* **The whole cube is the sample.** The network takes ``(B*6, C, S, S)``: the six faces of the
  cube the pipeline chose for a hole, all of them, so the fill of one face is computed knowing the
  others. Every spatial layer pads with the geometry core's cube padding (``CubePad``, through
  :class:`~pano_inpaint.generators.net.layers.FacePad`): a 3x3 convolution at a face edge reads
  the neighbouring face's pixels exactly where a convolution on the sphere would, so border
  context flows between faces at every layer, and a fill that crosses a cube edge is computed as
  one piece - continuous by construction, not by blending afterwards. ``pad_mode="zeros"`` is the
  ablation: the same weights' shapes, every face on its own.
* **Large holes need a global receptive field.** Nadir caps of 30-40 degrees cover most of the
  down face. LaMa's fast Fourier convolutions (FFC) give every layer of the bottleneck an
  image-wide receptive field; gated convolutions only grow it layer by layer. So: a strided
  encoder, FFC residual blocks at ``S / 8``, a decoder with additive skips.
* **What "periodic" means on a cube.** An FFT treats its window as a torus. A single face is not
  periodic (its left and right edges are a quarter turn apart), and the four side faces form a
  horizontal ring that *is* periodic - but only sideways, and without the up and down faces,
  where nadir holes live. So each face's spectral transform runs on the face *extended by half a
  face of CubePad context on every side*: the FFT's wrap-around joins the far borders of the
  neighbours, which are cropped away afterwards, and the face itself sees its four neighbours
  globally. The six faces are treated alike (one set of weights), which matches the pipeline:
  after rotation a hole can sit on any face. Stacked blocks reach the whole cube.
* **No normalisation layers.** A per-face normalisation (instance/group norm) would scale the
  two sides of an edge differently - a seam made by the network itself; batch norm's running
  statistics drift across working resolutions. Residual branches instead carry a learned gain
  that starts at 0.1.
* **Start from a smooth fill.** A parameter-free pull-push fill on the cube
  (:class:`~pano_inpaint.generators.net.layers.SmoothPrior`) is an input and the baseline of the
  output: the network predicts a correction in logit space with a zero-initialised last layer. On
  a CPU budget this matters: training starts at a Telea-like fill instead of at grey.
* **Size.** ``NetConfig()``: 2.7 M parameters (5.4 MB in fp16); at the default working
  resolution (faces of 128 px) a cube takes a fraction of a second on two CPU cores.

Modules: :mod:`.layers` (FacePad, FFC, SmoothPrior), :mod:`.model` (NetConfig, CubeInpaintNet),
:mod:`.weights` (fp16 weights file, sha256-checked), :mod:`.generator` (the registered generators).
Importing this package does not import torch; its modules do.
"""

__all__: list[str] = []
