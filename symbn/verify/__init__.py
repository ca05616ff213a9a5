"""Verify a user's normalization code against symbn's derivation, and diagnose its mistake."""

from symbn.verify.diagnosis import Diagnosis, diagnose
from symbn.verify.kinds import KIND_NAMES, KINDS, Kind, get_kind
from symbn.verify.mistakes import Mistake, mistakes
from symbn.verify.model import Observation, OutputCheck, Problem, VerifyReport
from symbn.verify.runner import VerifyError, verify

__all__ = ["KINDS", "KIND_NAMES", "Diagnosis", "Kind", "Mistake", "Observation", "OutputCheck",
           "Problem", "VerifyError", "VerifyReport", "diagnose", "get_kind", "mistakes",
           "verify"]
