"""Blending the fill into the panorama."""

from pano_inpaint.blend.colour import match_boundary_colour, match_boundary_colour_rows

__all__ = ["match_boundary_colour", "match_boundary_colour_rows"]
