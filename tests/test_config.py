import re
from importlib.resources import as_file, files

import pytest
import yaml

from pano_inpaint.config import ConfigError, PipelineConfig, config_to_dict, load_config


def test_the_packaged_default_yaml_equals_the_dataclass_defaults():
    with as_file(files("pano_inpaint") / "configs" / "default.yaml") as path:
        text = path.read_text(encoding="utf-8")
        assert load_config(path) == PipelineConfig()
    # every key is written out, so the file documents them all
    assert yaml.safe_load(text) == config_to_dict(PipelineConfig())


def test_every_key_of_the_packaged_default_yaml_has_a_comment():
    # The README: default.yaml "lists them all with comments"; eight keys had none
    # (min_rotation_degrees, region_gap_degrees, refine_face_max, hdr.key, the checks).
    with as_file(files("pano_inpaint") / "configs" / "default.yaml") as path:
        lines = path.read_text(encoding="utf-8").splitlines()
    leaves = [line for line in lines if re.match(r"\s+\w+:\s*[^\s#]", line)]
    assert len(leaves) == 29  # every field of PipelineConfig
    assert [line.split(":")[0].strip() for line in leaves if "#" not in line] == []


def test_overrides_and_types(tmp_path):
    cfg = load_config(overrides=["cube.face_size=256", "generator.params.radius=3",
                                 "checks.seam_ratio_max=2"])
    assert cfg.cube.face_size == 256
    assert cfg.generator.params == {"radius": 3}
    assert cfg.checks.seam_ratio_max == 2.0 and isinstance(cfg.checks.seam_ratio_max, float)
    assert config_to_dict(cfg)["cube"]["face_size"] == 256


def test_configs_are_frozen():
    with pytest.raises(AttributeError):
        PipelineConfig().cube.pad = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "text,match",
    [
        ("cube: {face_sise: 3}", r"unknown key cube\.face_sise"),
        ("mask: {dilate: two}", r"mask\.dilate"),
        ("cube: {interpolation: cubic}", r"cube\.interpolation.*one of"),
        ("blend: 3", "blend must be a mapping"),
        ("- a\n- b", "top level must be a mapping"),
        ("cube: {rotate: 1}", r"cube\.rotate"),
    ],
)
def test_invalid_configs_name_the_key(tmp_path, text, match):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_config(path)


@pytest.mark.parametrize("override", ["cube.face_size", "=3", "mask..dilate=3", "mask.=2"])
def test_bad_override(override):
    """An empty key ('=3', 'mask..dilate=3') was "unknown key ; allowed: ..."."""
    with pytest.raises(ConfigError, match=f"override '{re.escape(override)}' must look like "
                                          "key.path=value"):
        load_config(overrides=[override])


@pytest.mark.parametrize(("section", "values", "key"), [
    ("mask", {"dilate": -1}, "mask.dilate"),
    ("mask", {"max_fraction": 0.0}, "mask.max_fraction"),
    ("mask", {"max_fraction": float("nan")}, "mask.max_fraction"),
    ("blend", {"feather": -1}, "blend.feather"),
    ("cube", {"pad": -1}, "cube.pad"),
    ("cube", {"face_size": 64, "pad": 65}, "cube.pad"),
    ("cube", {"face_size": 4}, "cube.face_size"),
    ("hdr", {"key": 0}, "hdr.key"),
    ("checks", {"wrap_ratio_max": -2.0}, "checks.wrap_ratio_max"),
])
def test_every_field_is_checked_when_built(section, values, key):
    overrides = [f"{section}.{name}={value}" for name, value in values.items()]
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(overrides=overrides)


@pytest.mark.parametrize(("key", "value"), [("mask.dilate", 100000), ("blend.feather", 20000)])
def test_a_value_over_the_limit_is_told_the_limit(key, value):
    """`--dilate 100000` used to be refused as "must be a number of pixels >= 0, got 100000"."""
    with pytest.raises(ConfigError, match=rf"{key.replace('.', '[.]')} must be .*from 0 to 16384, "
                       rf"got {value}"):
        load_config(overrides=[f"{key}={value}"])


def test_stored_network_configs_refuse_unknown_keys():
    # A network's stored config with a key this version does not know (a newer version's, or a
    # typo) is refused by name, for the inpainting network and the rig detector alike.
    from pano_inpaint.generators.net.config import NetConfig
    from pano_inpaint.masks.auto.config import RigNetConfig

    for cls in (NetConfig, RigNetConfig):
        assert cls.from_dict(cls().to_dict()) == cls()
        with pytest.raises(ValueError, match=rf"unknown {cls.__name__} keys \['wings'\]; allowed"):
            cls.from_dict({**cls().to_dict(), "wings": 2})


@pytest.mark.parametrize(("cls", "stored", "words"), [
    ("NetConfig", {"channels": "24"}, "channels: '24' does not fit int"),  # TypeError of '<'
    ("NetConfig", {"global_ratio": "x"}, "global_ratio: 'x' does not fit float"),  # taken
    ("NetConfig", {"blocks": True}, "blocks: True does not fit int"),  # taken as 1
    ("RigNetConfig", {"channels": 8}, "channels must be a list of int"),  # TypeError: iterable
    ("RigNetConfig", {"channels": ["a", 8]}, "channels must be a list of int"),  # int('a')
])
def test_stored_network_configs_refuse_wrong_types_by_name(cls, stored, words):
    # One builder for both (dataclass_yaml.build_stored_config): a value of the wrong type is
    # a ValueError naming the key, where it was a TypeError, int()'s error, or taken as it was.
    from pano_inpaint.generators.net.config import NetConfig
    from pano_inpaint.masks.auto.config import RigNetConfig

    config = {"NetConfig": NetConfig, "RigNetConfig": RigNetConfig}[cls]
    with pytest.raises(ValueError, match=re.escape(words)):
        config.from_dict(stored)
