import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pano_inpaint.geometry import erp_to_cube, pad_cube_faces  # noqa: E402
from pano_inpaint.geometry.torch_padding import CubePad  # noqa: E402
from tests.synthetic import sphere_function_erp  # noqa: E402

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _to_torch(faces: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(faces.transpose(0, 3, 1, 2)))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("pad", [1, 3])
def test_cubepad_matches_numpy_padding(device, pad):
    faces = erp_to_cube(sphere_function_erp(128), 32)
    expected = pad_cube_faces(faces, pad)
    got = CubePad(pad)(_to_torch(faces).to(device)).cpu().numpy().transpose(0, 2, 3, 1)
    # numpy samples with cv2's 1/32-pixel fixed-point weights, torch with exact ones.
    assert np.abs(got - expected).max() < 2e-3


@pytest.mark.parametrize("pad", [1, 2])
def test_cubepad_equals_the_wider_view(pad):
    erp = sphere_function_erp(256)
    got = CubePad(pad)(_to_torch(erp_to_cube(erp, 64))).numpy().transpose(0, 2, 3, 1)
    assert np.abs(got - erp_to_cube(erp, 64, pad=pad)).max() < 4e-3


def test_cubepad_batches_are_independent(rng):
    a = torch.from_numpy(rng.random((6, 2, 8, 8)).astype(np.float32))
    b = torch.from_numpy(rng.random((6, 2, 8, 8)).astype(np.float32))
    pad = CubePad(2)
    both = pad(torch.cat([a, b]))
    assert torch.equal(both[:6], pad(a)) and torch.equal(both[6:], pad(b))


def test_cubepad_gradients_flow_across_faces():
    x = torch.rand(6, 1, 8, 8, requires_grad=True)
    y = CubePad(1)(x)
    # Loss on the front face's right border only: its gradient lands in the right face.
    y[0, :, 1:-1, -1].sum().backward()
    grad = x.grad.abs().sum(dim=(1, 2, 3))
    assert grad[1] > 0 and grad[0] == 0 and grad[[2, 3, 4, 5]].sum() == 0
    assert torch.autograd.gradcheck(
        CubePad(2), torch.rand(6, 1, 5, 5, dtype=torch.float64, requires_grad=True)
    )
    # A pad as wide as the face reaches the far side of the neighbours; two cubes at once.
    assert torch.autograd.gradcheck(
        CubePad(4), torch.rand(12, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    )


def test_cubepad_invalid_input():
    with pytest.raises(ValueError, match="B\\*6"):
        CubePad(1)(torch.zeros(5, 1, 8, 8))
    with pytest.raises(ValueError, match="pad"):
        CubePad(-1)
    assert CubePad(0)(torch.ones(6, 1, 4, 4)).shape == (6, 1, 4, 4)
