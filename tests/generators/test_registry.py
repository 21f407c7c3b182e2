"""The generator registry: lazy entries and the classes that replace them."""

import pytest

from pano_inpaint.generators import generator_info, get_generator, list_generators, registry
from pano_inpaint.generators.patchmatch import PatchMatch


def test_patchmatch_entry_becomes_its_class_once_imported():
    assert "patchmatch" in list_generators()
    assert isinstance(get_generator("patchmatch"), PatchMatch)
    assert generator_info("patchmatch").summary.startswith("Seam-aware multi-scale PatchMatch")


@pytest.fixture
def scratch_registry(monkeypatch):
    """The registry's tables copied for one test, with a lazy entry ``later`` added."""
    for table in ("_FACTORIES", "_INFO", "_LAZY_TARGETS"):
        monkeypatch.setattr(registry, table, dict(getattr(registry, table)))
    registry.register_lazy_generator("later", "some.module:Later", "later", False)


@pytest.mark.usefixtures("scratch_registry")
def test_a_second_class_under_a_lazy_name_is_refused():

    class Other:
        name = "later"

    with pytest.raises(ValueError, match="already registered"):
        registry.register_generator(Other)


@pytest.mark.usefixtures("scratch_registry")
def test_an_unregistered_generator_is_gone():

    class Once:
        name = "once"

    registry.register_generator(Once)
    for name in ("later", "once"):
        registry.unregister_generator(name)
        assert name not in list_generators()
        with pytest.raises(registry.UnknownGeneratorError):
            get_generator(name)
    registry.register_lazy_generator("later", "some.module:Later", "later", False)  # name free
    with pytest.raises(registry.UnknownGeneratorError, match="unknown generator 'gone'"):
        registry.unregister_generator("gone")


@pytest.mark.parametrize(("name", "params", "words"), [
    ("telea", {"bogus": 1}, "takes no parameter 'bogus'"),
    ("telea", {"radius": "wide"}, "radius='wide' does not fit float"),
    ("mean", {"border": 2.5}, "border=2.5 does not fit int"),
])
def test_parameters_are_checked_against_the_constructor(name, params, words):
    with pytest.raises(TypeError, match=words):
        get_generator(name, **params)


def test_a_refused_value_names_the_generator():
    with pytest.raises(ValueError, match="generator 'telea': radius must be > 0"):
        get_generator("telea", radius=0)
    # border=-1 was taken, and the fill failed as the image's fault (exit 3)
    with pytest.raises(ValueError, match="generator 'mean': border must be >= 1"):
        get_generator("mean", border=-1)


def test_counts_and_sizes_have_upper_bounds():
    """radius=1e30 (or border=10**9) was taken, and the fill never ended (or never allocated)."""
    with pytest.raises(ValueError, match="generator 'telea': radius must be at most 50 pixels, "
                                         "got 1e\\+30"):
        get_generator("telea", radius=1e30)
    with pytest.raises(ValueError, match="generator 'ns': radius must be at most 50 pixels"):
        get_generator("ns", radius=50.5)
    with pytest.raises(ValueError, match="generator 'mean': border must be at most 256 pixels, "
                                         "got 1000000000"):
        get_generator("mean", border=10**9)
    assert get_generator("telea", radius=50).radius == 50
    assert get_generator("mean", border=256).border == 256
