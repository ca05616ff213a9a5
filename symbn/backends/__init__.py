"""Reference frameworks, each a backend that names itself and imports its framework lazily."""

from symbn.backends.autograd_backend import AutogradBackend
from symbn.backends.base import Backend
from symbn.backends.complex_step import ComplexStepBackend
from symbn.backends.jax_backend import JaxBackend
from symbn.backends.torch_backend import TorchBackend

BACKENDS: dict[str, Backend] = {b.name: b for b in
                                (TorchBackend(), JaxBackend(), AutogradBackend(), ComplexStepBackend())}


def get_backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise KeyError(f"no backend named {name!r}; the backends are {', '.join(BACKENDS)}")
    return BACKENDS[name]


__all__ = ["BACKENDS", "Backend", "get_backend"]
