"""A from-scratch PyTorch BatchNorm2d with running statistics: batch statistics in training
(the running variance updated with the unbiased variance, as torch.nn.BatchNorm2d does), the
running ones in eval mode, statistics in float32 at least (half-precision inputs too):

    symbn verify torch_batchnorm2d:BatchNorm2d --kind batchnorm-module --init 'momentum=0.1'
"""

import torch
from torch import nn


class BatchNorm2d(nn.Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x):
        shape = (1, -1, 1, 1)
        h = x.to(torch.promote_types(x.dtype, torch.float32))  # float16 x**2 would overflow
        if self.training:
            mean = h.mean((0, 2, 3))
            var = h.var((0, 2, 3), unbiased=False)
            n = h.numel() / h.shape[1]
            with torch.no_grad():
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_((var * n / (n - 1)).to(self.running_var.dtype),
                                       self.momentum)
        else:
            mean, var = self.running_mean.to(h.dtype), self.running_var.to(h.dtype)
        xhat = (h - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        return (self.weight.view(shape) * xhat + self.bias.view(shape)).to(x.dtype)
