"""Folders of images: what list_images takes for an image."""

import logging

from pano_inpaint.eval.images import find_panoramas
from pano_inpaint.io import list_images
from tests.mask_command_files import lay_out_a_shoot

ALL = ["hall.png", "hall_mask.png", "hall_preview.jpg", "shot.png", "shot_mask.png",
       "shot_preview.jpg"]


def test_list_images_leaves_out_what_mask_wrote_beside_the_images(tmp_path, caplog):
    """eval and train listed shot_mask.png and shot_preview.jpg ('mask shoot/ -o shoot/') as
    panoramas and photos; inpaint's folders leave them out (jobs.mask_command_outputs) and so
    does list_images now, with one warning. The user's own files named so are listed."""
    lay_out_a_shoot(tmp_path)
    with caplog.at_level(logging.WARNING):
        listed = [p.name for p in list_images(tmp_path)]
    assert listed == ["hall.png", "hall_mask.png", "hall_preview.jpg", "shot.png"]
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path}: shot_mask.png, shot_preview.jpg not listed: files 'pano-inpaint mask' "
        "wrote for the images beside them"]
    assert [p.name for p in find_panoramas([tmp_path])] == listed  # eval's
    assert [p.name for p in list_images(tmp_path, mask_outputs=True)] == ALL  # inpaint's
