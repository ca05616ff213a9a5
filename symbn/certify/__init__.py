"""Standalone re-checking of symbn's proof certificates (python-flint, no SymPy).

``python -m symbn.certify DIR`` checks every ``*.json`` certificate in DIR; nothing here
imports symbn's prover, so a proof is checked by code that did not find it.
"""

from symbn.certify.checker import FORMAT, Result, check, formal_degree
from symbn.certify.engine import Malformed

__all__ = ["FORMAT", "Malformed", "Result", "check", "formal_degree"]
