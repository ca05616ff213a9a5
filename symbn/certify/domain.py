"""The conditions a check relies on, and whether a certificate's stated domain implies them.

A zero numerator proves lhs == rhs only where every step of the reduction is valid: each
expression divided by is nonzero, each square root's argument is >= 0, and each radicand
B_k that a positive variable S_k replaces is > 0.  :func:`unmet` recomputes those
conditions from the certificate's own trees (never from its ``domain`` field) and returns
the ones the stated domain does not imply.  A condition is implied when

* the signs of its parts show it (positive/negative symbols, S_k > 0, squares, a batch
  mean of a nonnegative expression, sums and products of such), or
* in exact arithmetic (moment form, :mod:`symbn.certify.forms`) it is a number times
  irreducible factors whose signs are evident, or stated: a stated ``X != 0`` (or > 0,
  < 0) makes every factor of X nonzero, a stated ``X > 0`` fixes the sign of its one
  factor of unknown sign that has an odd power.

A stated condition that is false whatever the variables (``1 > 2``, ``a < 0`` for a
positive ``a``, two stated conditions that contradict each other) makes the domain
vacuous: :class:`Vacuous`.
"""

from __future__ import annotations

import ast
import re
from typing import cast

from symbn.certify.engine import (Malformed, Refused, Undefined, constant_exponent, parse,
                                  subtrees)
from symbn.certify.forms import exact_forms

POS, NEG = frozenset({1}), frozenset({-1})
NONNEG, NONPOS = frozenset({0, 1}), frozenset({0, -1})
NONZERO, ANY, ZERO = frozenset({1, -1}), frozenset({-1, 0, 1}), frozenset({0})
#: what each stated relation (with 0 on the right) says of its left side's sign
_RELATIONS = {ast.NotEq: NONZERO, ast.Gt: POS, ast.GtE: NONNEG, ast.Lt: NEG, ast.LtE: NONPOS}
_WANT_TEXT = {NONZERO: "!= 0", NONNEG: ">= 0", POS: "> 0", NEG: "< 0", NONPOS: "<= 0"}


class Vacuous(Exception):
    """A stated domain that no point satisfies (the reason)."""


# --- sign sets ----------------------------------------------------------------------------


def _add(a, b):
    out: set = set()
    for s in a:
        for t in b:
            out |= {t} if s == 0 else {s} if t == 0 or s == t else ANY
    return frozenset(out)


def _mul(a, b):
    return frozenset(s * t for s in a for t in b)


def _power(a, k: int):
    a = a - ZERO if k < 0 else a
    return frozenset(s ** abs(k) for s in a) if a else ANY


def _root(a):
    """sqrt's sign: 0 where its argument may be 0 (or negative: outside the real domain)."""
    return frozenset({1} if 1 in a else set()) | (ZERO if a & {0, -1} else frozenset())


class Signs:
    """Sign sets of expression trees, from the signs of the names they use (each node's
    remembered: a shared subtree is looked at once)."""

    def __init__(self, names: dict, atoms: dict):
        self.names, self.atoms = names, atoms  # name -> sign set; moment name -> its tree
        self._signs: dict[int, tuple] = {}  # id(node) -> (node, sign set): node kept alive

    def of(self, node):
        known = self._signs.get(id(node))
        if known is not None:
            return known[1]
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            # here, not in a helper: a sum of n terms nests n deep, one frame per level
            a, b = self.of(node.left), self.of(node.right)
            op = type(node.op)
            sign = (_add(a, b) if op is ast.Add else _add(a, frozenset(-v for v in b))
                    if op is ast.Sub else _mul(a, b) if op is ast.Mult else
                    _mul(a, _power(b, -1)))
        else:
            sign = self._other(node)
        self._signs[id(node)] = (node, sign)
        return sign

    def _other(self, node):
        """The sign set of a node that is not + - * /."""
        if isinstance(node, ast.Constant):
            return frozenset({(node.value > 0) - (node.value < 0)})
        if isinstance(node, ast.Name):
            if node.id in self.atoms:
                return self.of(self.atoms[node.id])
            return self.names.get(node.id, ANY)
        if isinstance(node, ast.UnaryOp):
            s = self.of(node.operand)
            return frozenset(-v for v in s) if isinstance(node.op, ast.USub) else s
        if isinstance(node, ast.BinOp):  # a power
            try:
                e = constant_exponent(node.right)
            except (Refused, Undefined, Malformed):
                return ANY
            base = self.of(node.left)
            return _power(_root(base) if e.q == 2 else base, int(e.p))
        name = node.func.id
        if name == "sqrt":
            return _root(self.of(node.args[0]))
        if name == "Mean":  # values all > 0 (>= 0, ...) have a mean > 0 (>= 0, ...)
            s = self.of(node.args[0])
            return s if s in (POS, NEG, NONNEG, NONPOS, ZERO) else ANY  # +/- can mean 0
        if name == "Abs":
            return _mul(self.of(node.args[0]), self.of(node.args[0]))
        return POS if name == "exp" else ANY


# --- the conditions a reduction needs -------------------------------------------------------


def needed(tree) -> list[tuple[ast.expr, frozenset]]:
    """(expression, the sign set it must lie in): every divisor nonzero, every square
    root's argument >= 0 (a divisor sqrt(X) or X**(-1/2): X nonzero as well); each
    condition once (a shared subtree is one condition wherever it appears)."""
    found: dict = {}  # (id(node), sign set) -> (node, sign set), in the order met

    def nonzero(node):  # split a divisor into the factors that must each be nonzero
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            nonzero(node.left)
            if isinstance(node.op, ast.Mult):
                nonzero(node.right)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            nonzero(node.left)
        elif isinstance(node, ast.Call) and node.func.id == "sqrt":
            nonzero(node.args[0])
        elif isinstance(node, ast.UnaryOp):
            nonzero(node.operand)
        else:  # a constant too: 1/sqrt(0) divides by 0
            found.setdefault((id(node), NONZERO), (node, NONZERO))

    for node in subtrees(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            nonzero(node.right)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            try:
                e = constant_exponent(node.right)
            except (Refused, Undefined):
                continue
            if e.q == 2:
                found.setdefault((id(node.left), NONNEG), (node.left, NONNEG))
            if e < 0:
                nonzero(node.left)
        elif isinstance(node, ast.Call) and cast(ast.Name, node.func).id == "sqrt":  # parse() allows named calls only
            found.setdefault((id(node.args[0]), NONNEG), (node.args[0], NONNEG))
    return list(found.values())


def stated(domain) -> list[tuple[ast.expr, frozenset]]:
    """The certificate's domain: a list of strings ``L op R`` (op one of != > >= < <=),
    each as (the tree of L - R, the sign set it states)."""
    if not isinstance(domain, list) or not all(isinstance(c, str) for c in domain):
        raise Malformed("the field 'domain' must be a list of conditions such as 'a - 1 != 0'")
    out = []
    for text in domain:
        if text.endswith(" is finite"):
            continue  # "f(z) is finite": not reasoned with; leaving it out only assumes less
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError:
            node = None
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1
                and type(node.ops[0]) in _RELATIONS):
            raise Malformed(f"the domain condition {text!r} is not 'L op R' with op one of "
                            "!=, >, >=, <, <=")
        try:
            left = parse(f"({ast.unparse(node.left)}) - ({ast.unparse(node.comparators[0])})",
                         f"the domain condition {text!r}")
        except (Malformed, Refused):
            continue  # a function the engine does not know (sin(a) != 0): assume less, as above
        out.append((left, _RELATIONS[type(node.ops[0])]))
    return out


# --- implication ----------------------------------------------------------------------------


def unmet(conditions, domain, *, names, signs: Signs, samples=(), atoms=None,
          radicals=(), positive=(), negative=(), known=None) -> list[str]:
    """The conditions (expression tree, sign set) that the stated ``domain`` (from
    :func:`stated`) does not imply, as text; :class:`Vacuous` for a false domain.

    ``radicals`` (S, B): S is sqrt(B) in the stated conditions; each B > 0 is itself in
    ``conditions`` when the check needs it.  ``known``: the atoms of
    :func:`~symbn.certify.forms.exact_forms` met by an earlier call (filled in), so that
    no pass is redone to meet them; an atom these trees do not use is an unused variable."""
    known = {} if known is None else known
    for tree, want in domain:
        if not signs.of(tree) & want:
            raise Vacuous(f"the stated condition {_text(tree, want)} is false for every "
                          "value of its variables")
    open_ = [(t, w) for t, w in conditions if not signs.of(t) <= w]
    if not open_ and not domain:
        return []
    trees = [t for t, _ in open_] + [t for t, _ in domain]
    kw = dict(samples=samples, positive=positive, negative=negative, derived=atoms or {},
              declared=radicals)
    found = dict(known)
    try:
        values, _, ctx = exact_forms(trees, names, atoms=found, **kw)
    except (Refused, Undefined, Malformed):
        try:
            found = dict(known)
            values, _, ctx = exact_forms(trees[:len(open_)], names, atoms=found, **kw)
        except (Refused, Undefined, Malformed):
            return [_text(t, w) for t, w in open_]
        domain = []
    known.update(found)
    keys = {name: key for key, (name, _) in found.items()}
    var_signs = [signs.names[n] if n in signs.names else _atom_sign(keys.get(n, ""))
                 for n in ctx.names()]
    facts = _Facts(var_signs, ctx, _variance_pairs(ctx, keys))
    for value, (tree, want) in zip(values[len(open_):], domain):
        facts.learn(value, want, tree)
    return [_text(t, w) for v, (t, w) in zip(values, open_) if not facts.sign(v) <= w]


def _text(tree, want) -> str:
    return f"{ast.unparse(tree)} {_WANT_TEXT[want]}"


#: the key of a moment of even powers only, such as Mean(x^2*g^4): it is >= 0
_EVEN_MOMENT = re.compile(r"Mean\(\w+\^\d*[02468](\*\w+\^\d*[02468])*\)")


def _atom_sign(key: str):
    """An atom's sign: a square root's is >= 0, so is a moment of even powers only; exp's
    is > 0."""
    if key.startswith("exp("):
        return POS
    return NONNEG if key.startswith("sqrt(") or _EVEN_MOMENT.fullmatch(key) else ANY


def _variance_pairs(ctx, keys) -> list[tuple[int, int]]:
    """(index of Mean(u**2), index of Mean(u)) for the moments of one monomial u that are
    both atoms: Mean(u**2) >= Mean(u)**2 on every batch (Cauchy-Schwarz)."""
    index = {key: ctx.variable_to_index(name) for name, key in keys.items()
             if name in ctx.names()}
    pairs = []
    for key, i in index.items():
        if not _EVEN_MOMENT.fullmatch(key):
            continue
        half = []
        for factor in key[len("Mean("):-1].split("*"):
            v, e = factor.split("^")
            half.append(v if int(e) == 2 else f"{v}^{int(e) // 2}")
        j = index.get(f"Mean({'*'.join(half)})")
        if j is not None:
            pairs.append((i, j))
    return pairs


class _Facts:
    """Signs of irreducible factors: evident from their terms, or stated."""

    def __init__(self, var_signs, ctx, variances=()):
        self.var_signs, self.ctx, self.variances = var_signs, ctx, variances
        self.stated: dict = {}  # normalized factor text -> sign set

    def _key(self, f):
        lead = f.leading_coefficient()
        return str(f / lead), (1 if lead > 0 else -1)

    def evident(self, f):
        """The sign of f's terms' sum; with each Mean(u**2) written V + Mean(u)**2 (V >= 0)
        as well, where that shows more."""
        sign = self._terms(f, self.var_signs)
        if sign in (POS, NEG) or not self.variances:
            return sign
        gens = list(self.ctx.gens())
        signs = list(self.var_signs)
        for square, mean in self.variances:
            gens[square] = gens[square] + gens[mean] ** 2
            signs[square] = NONNEG
        return sign & self._terms(f.compose(*gens), signs)

    @staticmethod
    def _terms(f, var_signs):
        total = ZERO
        for exps, c in f.terms():
            term = frozenset({1 if c > 0 else -1})
            for i, e in enumerate(exps):
                if e:
                    term = _mul(term, _power(var_signs[i], e))
            total = _add(total, term)
        return total

    def factor_sign(self, f):
        key, lead = self._key(f)
        known = self.stated.get(key)
        sign = self.evident(f)
        if known is not None:
            sign &= frozenset(lead * s for s in known)
        return sign

    def _factors(self, value):
        c_num, num = value.num.factor()
        c_den, den = value.den.factor()
        c = c_num / c_den
        return (1 if c > 0 else -1 if c < 0 else 0), num, den

    def sign(self, value):
        if value.num.is_zero():
            return ZERO
        return self._product(*self._factors(value))

    def _product(self, c, num, den):
        total = frozenset({c})
        for f, e in num:
            total = _mul(total, _power(self.factor_sign(f), e))
        for f, e in den:
            total = _mul(total, _power(self.factor_sign(f), -e))
        return total

    def learn(self, value, want, tree):
        """Take the stated ``tree`` (whose value is ``value``) to have a sign in ``want``."""
        factors = None if value.num.is_zero() else self._factors(value)
        if not (ZERO if factors is None else self._product(*factors)) & want:
            raise Vacuous(f"the stated condition {_text(tree, want)} is false for every value "
                          "of its variables")
        if factors is None:
            return
        c, num, den = factors
        if 0 not in want:  # X != 0: every factor of X is nonzero
            for f, _ in num + den:
                self._set(f, NONZERO, tree)
        if want in (POS, NEG):  # the one factor of unknown sign with an odd power
            rest = frozenset({c * min(want)})
            unknown = []
            for f, e in num + den:
                s = self.factor_sign(f)
                if e % 2 and not (s <= POS or s <= NEG):
                    unknown.append(f)
                elif e % 2:
                    rest = _mul(rest, s)
            if len(unknown) == 1:
                self._set(unknown[0], rest, tree)

    def _set(self, f, sign, tree):
        key, lead = self._key(f)
        sign = frozenset(lead * s for s in sign)
        now = self.stated.get(key, ANY) & sign
        if not now or not (self.evident(f) & frozenset(lead * s for s in now)):
            raise Vacuous(f"the stated condition {ast.unparse(tree)} contradicts the others or the "
                          "variables' signs")
        self.stated[key] = now
