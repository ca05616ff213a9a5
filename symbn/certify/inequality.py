"""Re-check an inequality certificate with python-flint alone (no SymPy, no search code).

A certificate of ``lhs <= rhs`` (or ``<``, ``>=``, ``>``), JSON with ``"format":
"symbn-inequality-certificate/1"``, states

    prod_i f_i**p_i * D = sum_k c_k * m_k * Mean(b_k**2)   (or c_k * m_k * b_k**2),

D = rhs - lhs (lhs - rhs for ``>=``, ``>``); ``multiplier_factors`` are the f_i (``expr``,
``power`` p_i, ``reason``), each term gives ``coefficient`` c_k, ``positive_factor`` m_k,
``squared`` b_k and ``inside_batch_mean``.  This checker confirms it when

* the identity holds exactly: every expression is parsed here and evaluated into exact
  rational functions (:func:`symbn.certify.forms.exact_forms`: each batch mean of a
  polynomial split by linearity into moments, each sqrt(X) an atom R with R**2 = X), and
  the numerator of ``multiplier * D - sum`` is the zero polynomial once R**2 = X is used;
* every term is >= 0 by its form: c_k a rational >= 0, m_k a product of declared-positive
  symbols and square roots, the square of a real expression (inside a batch mean or not);
* every factor of the multiplier is > 0 for its stated reason: a positive number, a
  declared-positive symbol, a square root or a radicand (shown > 0), a condition of the
  verdict's domain (``f > 0``, or ``f != 0`` for an even power), or a certificate of
  ``0 < f`` checked the same way; every square
  root's radicand is > 0 for one of those reasons too (so each root is real and > 0);
* a strict claim's certificate has a term c * m with base 1, c > 0, m a product of
  declared-positive symbols: the sum is then > 0.

Dividing by the multiplier gives D >= 0 (D > 0 when strict) wherever the domain holds.
"""

from __future__ import annotations

import ast
from fractions import Fraction
from typing import Any

from symbn.certify.checker import Result
from symbn.certify.domain import POS, Signs, stated
from symbn.certify.engine import Malformed, Refused, Undefined, names_in, parse, zero_modulo
from symbn.certify.forms import exact_forms

_RELATIONS = ("<=", "<", ">=", ">")
#: the format tag this checker reads (an equality's certificate is "symbn-certificate/1")
FORMAT = "symbn-inequality-certificate/1"


def check_inequality(data: Any) -> Result:
    """Confirm (True) or not (None, with the reason) an inequality certificate's JSON."""
    if not is_inequality(data):
        raise Malformed(f"not an inequality certificate (its format must be {FORMAT!r})")
    try:
        lines = _Checker(data).run()
    except _NotConfirmed as why:
        return Result(None, (f"python-flint: not confirmed: {why}",))
    except (Refused, Undefined) as why:
        return Result(None, (f"python-flint: cannot evaluate the certificate: {why}",))
    return Result(True, tuple(lines))


def is_inequality(data: Any) -> bool:
    """Whether ``data`` says it is an inequality certificate (its format tag)."""
    return isinstance(data, dict) and data.get("format") == FORMAT


class _NotConfirmed(Exception):
    """A certificate that is well formed but does not establish its claim."""


def _field(data: dict, key: str, kind: type) -> Any:
    if key not in data or not isinstance(data[key], kind):
        raise Malformed(f"the certificate's {key!r} is missing or not a {kind.__name__}")
    return data[key]


class _Checker:
    def __init__(self, data: dict, domain: list[str] | None = None):
        if data.get("format") != FORMAT:
            raise Malformed(f"a certificate's format is {data.get('format')!r}, not {FORMAT!r}")
        self.data = data
        self.relation = _field(data, "relation", str)
        if self.relation not in _RELATIONS:
            raise Malformed(f"the relation {self.relation!r} is not one of {', '.join(_RELATIONS)}")
        self.lhs = parse(_field(data, "lhs", str), "lhs")
        self.rhs = parse(_field(data, "rhs", str), "rhs")
        self.samples = [str(s) for s in _field(data, "sample_variables", list)]
        self.positive = {str(s) for s in _field(data, "positive_symbols", list)}
        self.domain = domain if domain is not None else [
            str(d) for d in data.get("domain", [])]
        self.factors = [self._factor(f, "multiplier") for f in
                        _field(data, "multiplier_factors", list)]
        self.radicands = [self._factor(f, "radicand") for f in _field(data, "radicands", list)]
        self.terms = [self._term(t) for t in _field(data, "terms", list)]

    def _factor(self, f: Any, what: str) -> dict:
        if not isinstance(f, dict):
            raise Malformed(f"a {what} factor is not an object")
        power = _field(f, "power", int)
        if power < 1:
            raise Malformed(f"a {what} factor has the power {power}")
        return {"tree": parse(_field(f, "expr", str), f"a {what} factor"), "power": power,
                "reason": _field(f, "reason", str), "proof": f.get("proof")}

    def _term(self, t: Any) -> dict:
        if not isinstance(t, dict):
            raise Malformed("a term is not an object")
        try:
            coefficient = Fraction(_field(t, "coefficient", str))
        except ValueError:
            raise Malformed(f"a term's coefficient {t['coefficient']!r} is not a rational") from None
        return {"coefficient": coefficient,
                "multiplier": parse(_field(t, "positive_factor", str), "a term's positive_factor"),
                "base": parse(_field(t, "squared", str), "a term's squared"),
                "mean": bool(_field(t, "inside_batch_mean", bool))}

    # -- the identity ----------------------------------------------------------------

    def identity_tree(self) -> ast.expr:
        """multiplier * D - sum of terms, as one tree."""
        d = (ast.BinOp(self.rhs, ast.Sub(), self.lhs) if self.relation in ("<=", "<")
             else ast.BinOp(self.lhs, ast.Sub(), self.rhs))
        left: ast.expr = d
        for f in self.factors:
            left = ast.BinOp(ast.BinOp(f["tree"], ast.Pow(), ast.Constant(f["power"])),
                             ast.Mult(), left)
        total: ast.expr = ast.Constant(0)
        for t in self.terms:
            square: ast.expr = ast.BinOp(t["base"], ast.Pow(), ast.Constant(2))
            if t["mean"]:
                square = ast.Call(ast.Name("Mean", ast.Load()), [square], [])
            c = t["coefficient"]
            weight = ast.BinOp(ast.Constant(c.numerator), ast.Div(), ast.Constant(c.denominator))
            total = ast.BinOp(total, ast.Add(),
                              ast.BinOp(ast.BinOp(weight, ast.Mult(), t["multiplier"]),
                                        ast.Mult(), square))
        return ast.BinOp(left, ast.Sub(), total)

    def trees(self) -> list[ast.expr]:
        return ([self.lhs, self.rhs] + [f["tree"] for f in self.factors + self.radicands]
                + [t[k] for t in self.terms for k in ("multiplier", "base")])

    def names(self) -> list[str]:
        return sorted(set().union(*map(names_in, self.trees())) | set(self.samples))

    def values(self, trees: list[ast.expr]) -> tuple[list, dict, Any]:
        return exact_forms(trees, self.names(), samples=self.samples, positive=self.positive)

    def run(self) -> list[str]:
        self._claim_is_the_certificates()
        self._domain_not_vacuous()
        for t in self.terms:
            if t["coefficient"] < 0:
                raise _NotConfirmed(f"a term has the negative coefficient {t['coefficient']}")
            self._positive_product(t["multiplier"], "a term's positive_factor")
        roots = self._radicands_established()
        for f in self.factors:
            self._factor_positive(f)
        if self.relation in ("<", ">") and not any(
                _is_one(t["base"]) and t["coefficient"] > 0
                and not self._has_sqrt(t["multiplier"]) for t in self.terms):
            raise _NotConfirmed("a strict claim's certificate has no term that is a positive "
                                "constant times positive symbols")
        (value,), relations, ctx = self.values([self.identity_tree()])
        if not zero_modulo(value.num, relations, ctx):
            raise _NotConfirmed("multiplier * D - sum of terms is NOT the zero polynomial")
        how = f", {len(relations)} relation(s) R**2 = X used" if relations else ""
        return [f"python-flint: multiplier * D - sum of {len(self.terms)} term(s) is the zero "
                f"polynomial in {ctx.nvars()} variables{how}; every coefficient >= 0, every "
                f"multiplier factor > 0, {roots} radicand(s) > 0"
                + ("; a strictly positive term" if self.relation in ("<", ">") else "")
                + self._given()]

    def _claim_is_the_certificates(self) -> None:
        """The ``claim`` text a reader sees, when there is one ("[label: ]lhs op rhs"),
        is this certificate's lhs, relation and rhs, word for word."""
        claim = self.data.get("claim")
        if claim is None:
            return
        own = f"{self.data['lhs']} {self.relation} {self.data['rhs']}"
        if not isinstance(claim, str) or claim.rpartition(": ")[2] != own:
            raise _NotConfirmed(f"the claim {str(claim)[:120]!r} is not the one the certificate "
                                f"proves ({own[:120]!r})")

    def _domain_not_vacuous(self) -> None:
        """A condition of the domain no value satisfies (-1 - a**2 > 0) makes the
        certificate confirm nothing."""
        signs = Signs({name: POS for name in self.positive}, {})
        for tree, want in stated(self.domain):
            if not signs.of(tree) & want:
                raise _NotConfirmed(f"the domain condition on {ast.unparse(tree)} holds for no "
                                    "value of its variables: a vacuous domain")

    def _given(self) -> str:
        """The hypotheses the confirmation rests on: the positive symbols (declared so, or
        assumed), shown so that a reader sees what was taken as given."""
        return f"; given {', '.join(f'{n} > 0' for n in sorted(self.positive))}" \
            if self.positive else ""

    # -- signs ------------------------------------------------------------------------

    def _has_sqrt(self, tree: ast.expr) -> bool:
        return any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "sqrt"
                   for n in ast.walk(tree))

    def _positive_product(self, tree: ast.expr, what: str) -> None:
        """``tree`` is 1, a declared-positive name, a square root, or a product or positive
        integer power of those."""
        if isinstance(tree, ast.Constant) and tree.value == 1:
            return
        if isinstance(tree, ast.Name) and tree.id in self.positive:
            return
        if isinstance(tree, ast.Call) and getattr(tree.func, "id", None) == "sqrt":
            return  # its radicand is checked > 0 with every other radicand
        if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult):
            self._positive_product(tree.left, what)
            self._positive_product(tree.right, what)
            return
        if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Pow) and isinstance(
                tree.right, ast.Constant) and isinstance(tree.right.value, int) and tree.right.value > 0:
            self._positive_product(tree.left, what)
            return
        raise _NotConfirmed(f"{what} {ast.unparse(tree)} is not a product of positive symbols "
                            "and square roots")

    def _radicands_established(self) -> int:
        """Every sqrt(X) in the certificate has X equal to a radicand shown > 0."""
        for f in self.radicands:
            self._factor_positive(f)
        arguments = [n.args[0] for tree in self.trees() for n in ast.walk(tree)
                     if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "sqrt"]
        if not arguments:
            return 0
        values, _, _ = self.values(arguments + [f["tree"] for f in self.radicands])
        known = values[len(arguments):]
        for tree, value in zip(arguments, values):
            if not any(value == k for k in known):
                raise _NotConfirmed(f"the radicand {ast.unparse(tree)} is not shown > 0")
        return len(known)

    def _factor_positive(self, f: dict) -> None:
        reason, tree = f["reason"], f["tree"]
        text = ast.unparse(tree)
        if reason == "positive number":
            if not (isinstance(tree, ast.Constant) or isinstance(tree, ast.BinOp)
                    and isinstance(tree.op, ast.Div)):
                raise _NotConfirmed(f"the factor {text} is not a number")
            (value,), _, _ = self.values([tree])
            if not (value.num.is_constant() and value.den.is_constant()
                    and value.num.leading_coefficient() * value.den.leading_coefficient() > 0):
                raise _NotConfirmed(f"the factor {text} is not a positive number")
        elif reason == "positive symbol":
            if not (isinstance(tree, ast.Name) and tree.id in self.positive):
                raise _NotConfirmed(f"the factor {text} is not a declared-positive symbol")
        elif reason == "square root":
            if not (isinstance(tree, ast.Call) and getattr(tree.func, "id", None) == "sqrt"):
                raise _NotConfirmed(f"the factor {text} is not a square root")
            # its radicand is shown > 0 with every other radicand
        elif reason == "radicand":
            values, _, _ = self.values([tree] + [r["tree"] for r in self.radicands])
            if not any(values[0] == r for r in values[1:]):
                raise _NotConfirmed(f"the factor {text} is not one of the radicands")
        elif reason == "domain":
            if not self._in_domain(tree, even=f["power"] % 2 == 0):
                raise _NotConfirmed(f"the factor {text} is said to be > 0 by the domain, "
                                    "which does not state it")
        elif reason == "proved":
            proof = f["proof"]
            if not is_inequality(proof):
                raise Malformed(f"the proof that {text} > 0 is missing or not in the format "
                                f"{FORMAT!r}")
            if proof.get("relation") != "<":
                raise Malformed(f"the proof that {text} > 0 is not strict")
            inner = _Checker(proof, self.domain)
            (zero, given, claimed), _, _ = self.values([inner.lhs, tree, inner.rhs])
            if not zero.num.is_zero() or not given == claimed:
                raise _NotConfirmed(f"the proof for {text} is of another claim")
            inner.run()
        else:
            raise Malformed(f"the factor {text} has the unknown reason {reason!r}")

    def _in_domain(self, tree: ast.expr, *, even: bool) -> bool:
        wanted = [">"] + (["!="] if even else [])
        for line in self.domain:
            for op in wanted:
                left, sep, right = line.partition(f" {op} ")
                if not sep or right.strip() != "0":
                    continue
                try:
                    stated = parse(left, "a domain condition")
                    (a, b), _, _ = self.values([stated, tree])
                except (Malformed, Refused, Undefined):
                    continue
                if a == b:
                    return True
        return False


def _is_one(tree: ast.expr) -> bool:
    return isinstance(tree, ast.Constant) and tree.value == 1
