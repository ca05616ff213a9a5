"""PyTorch (``torch==2.13.0``, CPU): ``F.batch_norm`` with gradients from ``torch.autograd``."""

from __future__ import annotations

import numpy as np

from symbn.backends.base import Backend
from symbn.bn.conventions import PYTORCH


class TorchBackend(Backend):
    name = "torch"
    modules = ("torch",)
    requirement = "torch==2.13.0"
    convention = PYTORCH

    def _tensors(self, *arrays, grad=True):
        import torch
        return [torch.tensor(np.asarray(a), requires_grad=grad) for a in arrays]

    def train(self, x, g, gamma, beta, eps):
        import torch
        import torch.nn.functional as F
        xt, gt, beta_t = self._tensors(x, gamma, beta)
        y = F.batch_norm(xt, None, None, gt, beta_t, training=True, eps=eps)
        dx, dgamma, dbeta = torch.autograd.grad(y, (xt, gt, beta_t), torch.tensor(g))
        return {"y": y.detach().numpy(), "dx": dx.numpy(), "dgamma": dgamma.numpy(),
                "dbeta": dbeta.numpy()}

    def hvp(self, x, g, v, gamma, beta, eps):
        import torch
        import torch.nn.functional as F
        xt, = self._tensors(x)
        gamma_t, beta_t = self._tensors(gamma, beta, grad=False)
        y = F.batch_norm(xt, None, None, gamma_t, beta_t, training=True, eps=eps)
        loss = (torch.tensor(g) * y).sum()
        dx, = torch.autograd.grad(loss, xt, create_graph=True)  # double backward
        hv, = torch.autograd.grad((dx * torch.tensor(v)).sum(), xt)
        return hv.numpy()

    def evaluate(self, x, gamma, beta, eps, running_mean, running_var):
        import torch.nn.functional as F
        args = self._tensors(x, running_mean, running_var, gamma, beta, grad=False)
        return F.batch_norm(*args, training=False, eps=eps).numpy()

    def running_update(self, x, running_mean, running_var, eps):
        import torch
        import torch.nn.functional as F
        mean_t, var_t = (torch.tensor(np.array(a)) for a in (running_mean, running_var))
        F.batch_norm(torch.tensor(x), mean_t, var_t, None, None, training=True,
                     momentum=self.convention.new_weight, eps=eps)
        return mean_t.numpy(), var_t.numpy()

    def family(self, name, x, g, gamma, beta, eps, groups=None) -> dict:
        """The normalization family through PyTorch's own functionals."""
        import torch
        import torch.nn.functional as F
        xt, gt = self._tensors(x, gamma)
        bt = self._tensors(beta)[0] if name != "rmsnorm" else None
        if name == "batchnorm":
            y = F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
        elif name == "layernorm":
            y = F.layer_norm(xt, x.shape[1:], gt, bt, eps)
        elif name == "instancenorm":
            y = F.instance_norm(xt, weight=gt, bias=bt, use_input_stats=True, eps=eps)
        elif name == "groupnorm":
            y = F.group_norm(xt, groups, gt, bt, eps)
        elif name == "rmsnorm":
            y = F.rms_norm(xt, x.shape[1:], gt, eps)
        else:
            raise ValueError(f"no PyTorch reference for {name!r}")
        inputs = (xt, gt) if bt is None else (xt, gt, bt)
        grads = torch.autograd.grad(y, inputs, torch.tensor(g))
        names = ("dx", "dgamma", "dbeta")[:len(grads)]
        return {"y": y.detach().numpy(), **{n: d.numpy() for n, d in zip(names, grads)}}

    def weight_norm(self, v, gain, dw) -> dict:
        """``torch.nn.utils.parametrizations.weight_norm`` on a Linear layer's weight."""
        import torch
        from torch.nn.utils.parametrizations import weight_norm
        layer = torch.nn.Linear(v.shape[1], v.shape[0], bias=False, dtype=torch.float64)
        layer = weight_norm(layer)
        with torch.no_grad():
            layer.parametrizations.weight.original0.copy_(torch.tensor(gain).reshape(-1, 1))
            layer.parametrizations.weight.original1.copy_(torch.tensor(v))
        w = layer.weight
        g0, g1 = torch.autograd.grad(w, (layer.parametrizations.weight.original0,
                                         layer.parametrizations.weight.original1), torch.tensor(dw))
        return {"w": w.detach().numpy(), "dgain": g0.numpy().reshape(np.shape(gain)),
                "dv": g1.numpy()}
