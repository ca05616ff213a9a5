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

import flint

from symbn.certify.checker import Result
from symbn.certify.domain import NEG, NONNEG, NONPOS, POS, Signs, Vacuous, needed, stated, unmet
from symbn.certify.engine import Malformed, Refused, Undefined, names_in, parse, zero_modulo
from symbn.certify.forms import exact_forms

_RELATIONS = ("<=", "<", ">=", ">")
#: bounds on what a certificate may ask of the checker (beyond them it is malformed: a
#: power of 10**7 or a million terms would exhaust memory before any answer)
MAX_POWER = 64
MAX_TEXT = 20_000
MAX_ITEMS = 1_000
MAX_NESTING = 4
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


def _bounded(text: str, what: str) -> ast.expr:
    """The tree of ``text``, refused as malformed when it is longer than MAX_TEXT or
    raises anything to a power beyond MAX_POWER."""
    if len(text) > MAX_TEXT:
        raise Malformed(f"{what} is {len(text)} characters long (at most {MAX_TEXT})")
    tree = parse(text, what)
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and any(
                isinstance(c, ast.Constant) and isinstance(c.value, int)
                and abs(c.value) > MAX_POWER
                for c in ast.walk(node.right)):
            raise Malformed(f"{what} has the power {ast.unparse(node.right)[:40]} "
                            f"(at most {MAX_POWER})")
    power = _nested_power(tree)
    if power > MAX_POWER:  # nested powers multiply: ((a + 1)**32)**64 is (a + 1)**2048
        raise Malformed(f"{what} raises to nested powers whose product is {power} (at most "
                        f"{MAX_POWER})")
    return tree


def _nested_power(node: ast.AST) -> int:
    """The largest product of the constant exponents nested along one path of ``node``
    (each child looked at once: a power's base is one of its children)."""
    powers = {id(child): _nested_power(child) for child in ast.iter_child_nodes(node)}
    inner = max(powers.values(), default=1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) \
            and isinstance(node.right, ast.Constant) and isinstance(node.right.value, int):
        return max(inner, powers[id(node.left)] * abs(node.right.value))
    return inner


def _items(data: dict, key: str) -> list:
    items = _field(data, key, list)
    if len(items) > MAX_ITEMS:
        raise Malformed(f"the certificate's {key!r} has {len(items)} entries (at most {MAX_ITEMS})")
    return items


class _Checker:
    """One certificate; a nested proof (``outer``) shares the outer certificate's
    positive symbols, sample variables and domain, and has no claim text of its own."""

    def __init__(self, data: dict, outer: _Checker | None = None):
        if data.get("format") != FORMAT:
            raise Malformed(f"a certificate's format is {data.get('format')!r}, not {FORMAT!r}")
        self.data = data
        self.depth: int = 0 if outer is None else outer.depth + 1
        if self.depth > MAX_NESTING:
            raise Malformed(f"proofs are nested more than {MAX_NESTING} deep")
        self.relation = _field(data, "relation", str)
        if self.relation not in _RELATIONS:
            raise Malformed(f"the relation {self.relation!r} is not one of {', '.join(_RELATIONS)}")
        self.lhs = _bounded(_field(data, "lhs", str), "lhs")
        self.rhs = _bounded(_field(data, "rhs", str), "rhs")
        self.samples = [str(s) for s in _items(data, "sample_variables")]
        self.positive = {str(s) for s in _items(data, "positive_symbols")}
        if outer is not None and (set(self.samples) != set(outer.samples)
                                  or self.positive != outer.positive):
            raise Malformed("a nested proof states positive symbols or sample variables other "
                            "than its certificate's: a proof must rest on the same hypotheses")
        self.domain: list[str] = outer.domain if outer is not None else [
            str(d) for d in _items(data, "domain")] if "domain" in data else []
        self.claim = None if outer is not None else _field(data, "claim", str)
        self.factors = [self._factor(f, "multiplier") for f in
                        _items(data, "multiplier_factors")]
        self.radicands = [self._factor(f, "radicand") for f in _items(data, "radicands")]
        self.terms = [self._term(t) for t in _items(data, "terms")]

    def _factor(self, f: Any, what: str) -> dict:
        if not isinstance(f, dict):
            raise Malformed(f"a {what} factor is not an object")
        power = _field(f, "power", int)
        if isinstance(power, bool) or not 1 <= power <= MAX_POWER:
            raise Malformed(f"a {what} factor has the power {power} (from 1 to {MAX_POWER})")
        return {"tree": _bounded(_field(f, "expr", str), f"a {what} factor"), "power": power,
                "reason": _field(f, "reason", str), "proof": f.get("proof")}

    def _term(self, t: Any) -> dict:
        if not isinstance(t, dict):
            raise Malformed("a term is not an object")
        text = _field(t, "coefficient", str)
        try:
            if len(text) > MAX_TEXT:
                raise ValueError
            coefficient = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise Malformed(f"a term's coefficient {text[:80]!r} is not a rational") from None
        return {"coefficient": coefficient,
                "multiplier": _bounded(_field(t, "positive_factor", str),
                                       "a term's positive_factor"),
                "base": _bounded(_field(t, "squared", str), "a term's squared"),
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
        self._claim_defined()
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
        return [f"python-flint: {self.claim} holds: multiplier * D - sum of "
                f"{len(self.terms)} term(s) is the zero polynomial in {ctx.nvars()} "
                f"variables{how}; every coefficient >= 0, every multiplier factor > 0, "
                f"{roots} radicand(s) > 0"
                + ("; a strictly positive term" if self.relation in ("<", ">") else "")
                + self._given()]

    def _claim_is_the_certificates(self) -> None:
        """The ``claim`` text a reader sees ("[label: ]lhs op rhs", required) is this
        certificate's lhs, relation and rhs, word for word."""
        own = f"{self.data['lhs']} {self.relation} {self.data['rhs']}"
        if self.claim is not None and self.claim.rpartition(": ")[2] != own:
            raise _NotConfirmed(f"the claim {self.claim[:120]!r} is not the one the certificate "
                                f"proves ({own[:120]!r})")

    def _domain_not_vacuous(self) -> None:
        """A condition of the domain no value satisfies (-1 - a**2 > 0), or two that no
        value satisfies together (a > 0 and -a > 0: their sum, which must be > 0, is 0),
        make the certificate confirm nothing.  Each pair's sum (both sides turned to > 0 or
        >= 0) is stated as well, as it follows from the pair; :func:`unmet` then finds a
        condition false by its signs or contradicting the others in exact forms."""
        conditions = stated(self.domain)
        signs = Signs({name: POS for name in self.positive}, {})
        for tree, want in conditions:
            if not signs.of(tree) & want:
                raise _NotConfirmed(f"the domain condition on {ast.unparse(tree)} holds for no "
                                    "value of its variables: a vacuous domain")
        upward = [(tree if want <= NONNEG else ast.UnaryOp(ast.USub(), tree), want)
                  for tree, want in conditions if want in (POS, NONNEG, NEG, NONPOS)]
        sums = [(ast.BinOp(t, ast.Add(), u), POS if POS in (v, w) or NEG in (v, w) else NONNEG)
                for i, (t, v) in enumerate(upward) for u, w in upward[i + 1:]]
        names = sorted(set(self.names()).union(*(names_in(t) for t, _ in conditions)))
        try:
            unmet([], conditions + sums, names=names, signs=signs, samples=self.samples,
                  positive=sorted(self.positive))
        except Vacuous as why:
            raise _NotConfirmed(f"{why}: a vacuous domain") from None
        try:
            values, _, _ = exact_forms([t for t, _ in conditions], names, samples=self.samples,
                                       positive=sorted(self.positive))
        except (Malformed, Refused, Undefined):
            return
        for value, (tree, want) in zip(values, conditions):
            sign = _constant_sign(value.num * value.den)
            if sign is not None and sign not in want:
                raise _NotConfirmed(f"the domain condition on {ast.unparse(tree)} holds for no "
                                    "real value: it has one sign everywhere (no real root): "
                                    "a vacuous domain")

    def _claim_defined(self) -> None:
        """The domain implies where the claim is defined (each divisor of lhs and rhs
        nonzero, each root's argument >= 0): 0 <= 1/a**2 needs a != 0 stated."""
        conditions = needed(self.lhs) + needed(self.rhs)
        if not conditions:
            return
        names = sorted(set(self.names()).union(*(names_in(t) for t, _ in conditions)))
        try:
            missing = unmet(conditions, stated(self.domain), names=names,
                            signs=Signs({name: POS for name in self.positive}, {}),
                            samples=self.samples, positive=sorted(self.positive))
        except Vacuous as why:
            raise _NotConfirmed(f"{why}: a vacuous domain") from None
        if missing:
            raise _NotConfirmed("the domain does not imply where the claim is defined: "
                                + "; ".join(sorted(set(missing)))[:400])

    def _given(self) -> str:
        """The hypotheses the confirmation rests on: the positive symbols (declared so, or
        assumed), the sample variables (any other name is one constant for the whole
        batch) and the domain, shown so that a reader sees what was taken as given (a
        domain no value satisfies, which the checker cannot always see, makes 1 <= 0
        "hold")."""
        positive = ", ".join(f"{n} > 0" for n in sorted(self.positive)) or "no positive symbols"
        where = " and ".join(self.domain) or "everywhere (no domain)"
        return (f"; given {positive}; sample variables: "
                f"{', '.join(sorted(self.samples)) or 'none'}; where {where}")

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
            inner = _Checker(proof, self)
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


def _constant_sign(poly: Any) -> int | None:
    """The sign of a polynomial in one variable with no real root (Sturm's count of its
    distinct real roots is 0): the same at every real value, its constant term's; None for
    any other polynomial."""
    used = [i for i, d in enumerate(poly.degrees()) if d]
    if len(used) != 1 or max(poly.degrees()) > MAX_POWER:
        return None
    p = flint.fmpq_poly([0] * (poly.degrees()[used[0]] + 1))
    for exps, c in poly.terms():
        p[exps[used[0]]] += c
    chain = [p, p.derivative()]
    while chain[-1].degree() > 0:
        rest = -(chain[-2] % chain[-1])
        if rest == 0:
            break
        chain.append(rest)

    def changes(at_plus: bool) -> int:
        signs = [q[q.degree()] * (1 if at_plus or q.degree() % 2 == 0 else -1) for q in chain]
        signs = [v for v in signs if v != 0]
        return sum(1 for u, v in zip(signs, signs[1:]) if (u > 0) != (v > 0))
    if changes(False) - changes(True) != 0:
        return None
    return 1 if p[0] > 0 else -1


def _is_one(tree: ast.expr) -> bool:
    return isinstance(tree, ast.Constant) and tree.value == 1
