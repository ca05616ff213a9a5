"""An LLM-style RMSNorm on (batch, time, channel) tensors, as Llama-family code writes it.

Statistics in at least float32 (so float16 and bfloat16 inputs do not overflow or lose eps),
the result in the input's dtype:

    symbn verify llm_rmsnorm:rms_norm --kind rmsnorm-forward --layout BTC
"""

import torch


def rms_norm(x, weight, eps):
    h = x.to(torch.promote_types(x.dtype, torch.float32))
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return weight * h.to(x.dtype)
