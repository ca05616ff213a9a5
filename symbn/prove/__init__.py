"""Verdicts, the prover's strategy chain, and the counterexample search."""

from symbn.prove.prover import (AssumptionError, InexactNumber, ShapeMismatch, apply_assumptions,
                                prove)
from symbn.prove.verdict import Counterexample, Status, Verdict

__all__ = ["AssumptionError", "Counterexample", "InexactNumber", "ShapeMismatch", "Status",
           "Verdict", "apply_assumptions", "prove"]
