"""Verify a user's normalization code against symbn's derivation, and diagnose its mistake."""

from symbn.verify.mistakes import Mistake, correct, mistakes
from symbn.verify.runner import Diagnosis, VerifyError, VerifyReport, diagnose, verify

__all__ = ["Diagnosis", "Mistake", "VerifyError", "VerifyReport", "correct", "diagnose",
           "mistakes", "verify"]
