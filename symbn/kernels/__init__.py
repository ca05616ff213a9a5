"""General-form expressions compiled to vectorized NumPy kernels."""

from symbn.kernels.numpy_kernel import Kernel, KernelInputError, compile_kernel

__all__ = ["Kernel", "KernelInputError", "compile_kernel"]
