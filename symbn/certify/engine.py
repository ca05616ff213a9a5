"""Exact re-checking of proof certificates with python-flint: no SymPy, no symbn.

An expression is Python expression text (``ast`` parses it; only + - * / **, integer
literals, names and the calls below are accepted), evaluated into one of three algebras:

* :class:`RatFunc`, a quotient of ``fmpq_mpoly`` polynomials: exact multivariate
  arithmetic, so "the numerator is the zero polynomial" is decided exactly;
* ``fmpq``, exact rationals: evaluation at a point (Schwartz-Zippel: a nonzero polynomial
  of total degree d vanishes at a point drawn uniformly from S^n with probability at most
  d/|S|, so k independent points all give 0 with probability at most (d/|S|)^k);
* :class:`Degree`, a bound (numerator degree, denominator degree) for that argument.

What a square root is depends on the check: :mod:`symbn.certify.forms` makes it a known
positive factor times an atom R with R**2 == X (by which the numerator is then reduced);
at a point it is the exact rational root, or the point is skipped.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass

import flint

#: Functions with a meaning here, and the number of arguments each takes.  Any other call
#: (exp, log, an undefined f, Derivative) is *opaque*: in polynomial arithmetic an atom, an
#: independent variable keyed by the function and its arguments; at a point, not exact.
FUNCTIONS = {"sqrt": 1, "Mean": 1, "Max": None, "Min": None, "Abs": 1, "sign": 1,
             "Heaviside": 1}
_PIECEWISE = {"Max", "Min", "Abs", "sign", "Heaviside"}
#: Points are drawn from integers of this many bits (|S| = 2**bits per coordinate).
POINT_BITS = 30


class Malformed(ValueError):
    """Input that is not a well-formed expression or certificate."""


class Refused(Exception):
    """A construct this engine cannot treat exactly in the algebra at hand (the reason)."""


class Undefined(Exception):
    """A value that does not exist at a point (division by zero, an irrational root)."""


def parse(text, what: str) -> ast.expr:
    """The syntax tree of ``text``, checked to use only what the engine evaluates."""
    return Parser().parse(text, what)


class Parser:
    """Reads expression texts into one shared graph: structurally equal subtrees are one
    node object across every text it reads.  A certificate repeats its residual (claim,
    claim_residual, residual) and each square root in it many times; an
    :class:`Evaluator` remembers each node's value, so it computes every distinct
    subexpression once."""

    def __init__(self) -> None:
        self._nodes: dict[tuple, ast.expr] = {}  # (kind, parts, children's ids) -> node
        self._shared: set[int] = set()  # the ids of those nodes
        self._texts: dict[str, ast.expr] = {}

    def parse(self, text, what: str) -> ast.expr:
        """The checked, shared tree of ``text``."""
        if not isinstance(text, str):
            raise Malformed(f"{what} must be a string, not {type(text).__name__}")
        if text not in self._texts:
            try:
                tree = ast.parse(text, mode="eval").body
            except SyntaxError as error:
                raise Malformed(f"{what} is not an expression ({error.msg}): "
                                f"{text[:80]!r}") from None
            except MemoryError:  # how Python's parser says its stack is too small
                raise Malformed(f"{what} is nested too deeply to be read") from None
            self._texts[text] = self.share(tree, what)
        return self._texts[text]

    def share(self, node: ast.expr, what: str) -> ast.expr:
        """``node``, a tree this parser may rebuild, checked to use only what the engine
        evaluates, as the shared node equal to it (children first: a node's key holds its
        children's shared identities)."""
        if id(node) in self._shared:
            return node
        key: tuple
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            if not isinstance(node.op, _OPERATORS):
                raise Malformed(f"{what} uses {type(node.op).__name__}, which a certificate "
                                "may not")
            if isinstance(node, ast.BinOp):
                node.left, node.right = self.share(node.left, what), self.share(node.right, what)
                key = (type(node.op), id(node.left), id(node.right))
            else:
                node.operand = self.share(node.operand, what)
                key = (type(node.op), id(node.operand))
        elif isinstance(node, ast.Name):
            key = ("name", node.id)
        elif isinstance(node, ast.Constant):
            if type(node.value) is not int:
                raise Malformed(f"{what} holds the literal {node.value!r}: only integers are "
                                "exact")
            key = ("constant", node.value)
        elif isinstance(node, ast.Call):
            name = _function(node, what)  # the name is no variable: not shared
            node.args = [self.share(a, what) for a in node.args]
            key = ("call", name, *map(id, node.args))
        else:
            raise Malformed(f"{what} uses {type(node).__name__}, which a certificate may not")
        shared = self._nodes.setdefault(key, node)
        self._shared.add(id(shared))
        return shared


_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def _function(node: ast.Call, what: str) -> str:
    """The name a call calls: a plain function name, with the arguments it takes."""
    name = getattr(node.func, "id", None)
    if name is None or name.startswith("_") or node.keywords:
        raise Malformed(f"{what} calls {ast.unparse(node.func)}, which is not a plain "
                        "function name")
    arity = FUNCTIONS.get(name)
    if name in FUNCTIONS and arity is not None and len(node.args) != arity or not node.args:
        raise Malformed(f"{what}: {name} takes {arity or 'one or more'} argument(s)")
    return name


def subtrees(tree: ast.expr):
    """Each distinct expression node of ``tree`` once (a shared subtree is met once), not
    the function names of calls."""
    seen: set[int] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, ast.BinOp):
            stack += (node.right, node.left)
        elif isinstance(node, ast.UnaryOp):
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            stack += reversed(node.args)


def names_in(tree: ast.expr) -> set[str]:
    """The variable names an expression uses (not the functions it calls)."""
    return {n.id for n in subtrees(tree) if isinstance(n, ast.Name)}


#: the largest exponent a certificate may write (in absolute value): 10**10**10 would
#: otherwise be computed, which never ends
MAX_EXPONENT = 64


def constant_exponent(node) -> flint.fmpq:
    """An exponent: a literal rational such as 2, -1, 3/2, (-1)/2, at most
    :data:`MAX_EXPONENT` in absolute value (an exponent's own powers are bounded as it is
    evaluated)."""
    value = Evaluator(PointAlgebra(), {}).eval(node)
    if abs(value) > MAX_EXPONENT:
        raise Malformed(f"the power {ast.unparse(node)} is above {MAX_EXPONENT} in absolute "
                        "value")
    if value.q not in (1, 2):
        raise Refused(f"the power {ast.unparse(node)} is neither integral nor a half")
    return value


# --- the algebras ---------------------------------------------------------------------


class RatFunc:
    """num/den, two polynomials over Q in one flint context; den is never the zero polynomial."""

    __slots__ = ("num", "den")

    def __init__(self, num, den):
        self.num, self.den = num, den

    def __add__(self, other):
        if self.den == other.den:
            return RatFunc(self.num + other.num, self.den)
        g = self.den.gcd(other.den)
        a, b = self.den / g, other.den / g  # exact: g divides both
        return RatFunc(self.num * b + other.num * a, self.den * b)

    def __neg__(self):
        return RatFunc(-self.num, self.den)

    def __sub__(self, other):
        return self + -other

    def __mul__(self, other):
        return RatFunc(self.num * other.num, self.den * other.den)

    def inverse(self):
        if self.num.is_zero():
            raise Undefined("division by an expression that is identically 0")
        return RatFunc(self.den, self.num)

    def __truediv__(self, other):
        return self * other.inverse()

    def __pow__(self, k: int):
        base = self if k >= 0 else self.inverse()
        return RatFunc(base.num ** abs(k), base.den ** abs(k))

    def __eq__(self, other):
        return (self.num * other.den - other.num * self.den).is_zero()

    __hash__ = None  # type: ignore[assignment]  # unhashable, as __eq__ compares values; typeshed types object.__hash__ as a method

    def normalized(self):
        """The same function with num, den coprime and den monic: a canonical key."""
        g = self.num.gcd(self.den)
        num, den = self.num / g, self.den / g
        lead = den.leading_coefficient()
        return RatFunc(num / lead, den / lead)


@dataclass(frozen=True)
class Degree:
    """Upper bounds on the total degrees of an unreduced numerator and denominator."""

    num: int
    den: int

    def __add__(self, other):
        return Degree(max(self.num + other.den, other.num + self.den), self.den + other.den)

    def __neg__(self):
        return self

    def __sub__(self, other):
        return self + other

    def __mul__(self, other):
        return Degree(self.num + other.num, self.den + other.den)

    def inverse(self):
        return Degree(self.den, self.num)

    def __truediv__(self, other):
        return self * other.inverse()

    def __pow__(self, k: int):
        base = self if k >= 0 else self.inverse()
        return Degree(base.num * abs(k), base.den * abs(k))


class PolyAlgebra:
    def __init__(self, ctx):
        self.ctx = ctx

    def const(self, q):
        return RatFunc(self.ctx.constant(q), self.ctx.constant(1))

    def is_zero(self, v):
        return v.num.is_zero()


class PointAlgebra:
    def const(self, q):
        return flint.fmpq(q)

    def is_zero(self, v):
        return v == 0


class DegreeAlgebra:
    def const(self, q):
        return Degree(0, 0)

    def is_zero(self, v):
        return False


def _inverse(value):
    if isinstance(value, flint.fmpq):
        if value == 0:
            raise Undefined("division by 0")
        return 1 / value
    return value.inverse()


# --- the evaluator ----------------------------------------------------------------------


class Evaluator:
    """Evaluates a checked tree: ``names`` gives each variable's value; ``sqrt(value)``
    and ``mean(node)`` say what a root and a batch mean are in this algebra; ``piecewise``
    is True to compare exact rationals, or ``piecewise(name, values)`` picks a branch.

    Each node's value is remembered (a subtree shared by a :class:`Parser` is evaluated
    once), so ``names`` changes only through :meth:`bind`, which forgets them."""

    def __init__(self, algebra, names: dict, *, sqrt=None, mean=None, piecewise=False,
                 opaque=None):
        self.algebra, self.names = algebra, names
        self._sqrt, self._mean, self.piecewise = sqrt, mean, piecewise
        self._opaque = opaque
        self._values: dict[int, tuple] = {}  # id(node) -> (node, value): node kept alive

    def bind(self, name: str, value) -> None:
        """Give the variable ``name`` the value ``value`` from now on."""
        self.names[name] = value
        self._values.clear()

    def eval(self, node):
        known = self._values.get(id(node))
        if known is not None:
            return known[1]
        if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Pow):
            # here, not in a helper: a sum of n terms nests n deep, one frame per level
            a, b = self.eval(node.left), self.eval(node.right)
            op = type(node.op)
            value = (a + b if op is ast.Add else a - b if op is ast.Sub else
                     a * b if op is ast.Mult else a * _inverse(b))
        else:
            value = self._other(node)
        self._values[id(node)] = (node, value)
        return value

    def _other(self, node):
        """The value of a node that is not + - * /."""
        if isinstance(node, ast.Constant):
            return self.algebra.const(node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise Malformed(f"the name {node.id} is not declared")
            return self.names[node.id]
        if isinstance(node, ast.UnaryOp):
            value = self.eval(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            return self.power(node.left, constant_exponent(node.right))
        return self.call(node.func.id, node.args)

    def power(self, base_node, exponent):
        if exponent.q == 1:
            k = int(exponent.p)
            base = self.eval(base_node)
            return _inverse(base) ** -k if k < 0 else base ** k
        root = self.root(self.eval(base_node))
        k = int(exponent.p)
        return _inverse(root) ** -k if k < 0 else root ** k

    def root(self, value):
        if self._sqrt is None:
            raise Refused("a square root, which this check cannot evaluate")
        return self._sqrt(value)

    def call(self, name, args):
        if name == "sqrt":
            return self.root(self.eval(args[0]))
        if name == "Mean":
            if self._mean is None:
                raise Refused("a batch mean outside a batch")
            return self._mean(args[0])
        if name not in FUNCTIONS:
            if self._opaque is None:
                raise Refused(f"{name}, a function this check cannot evaluate exactly")
            return self._opaque(name, [self.eval(a) for a in args])
        if not self.piecewise:
            raise Refused(f"{name}, a piecewise function (no polynomial identity to check)")
        values = [self.eval(a) for a in args]
        if callable(self.piecewise):  # a case split decides which branch
            return self.piecewise(name, values)
        if name == "Max":
            return max(values)
        if name == "Min":
            return min(values)
        v = values[0]
        if name == "Abs":
            return abs(v)
        if name == "sign":
            return flint.fmpq((v > 0) - (v < 0))
        return flint.fmpq(1) if v > 0 else flint.fmpq(0) if v < 0 else flint.fmpq(1, 2)


def exact_sqrt(value: flint.fmpq) -> flint.fmpq:
    """sqrt of a rational that is a perfect square; Undefined otherwise (incl. negative)."""
    if value < 0:
        raise Undefined("the square root of a negative number")
    p, q = flint.fmpz(value.p), flint.fmpz(value.q)
    rp, ep = p.sqrtrem()
    rq, eq = q.sqrtrem()
    if ep or eq:
        raise Undefined("the square root of a rational that is not a square")
    return flint.fmpq(rp, rq)


def random_point(names, positive, negative, rng: random.Random) -> dict:
    """Independent uniform integers: |S| = 2**POINT_BITS for every coordinate (of the
    right sign for a positive or negative variable)."""
    size = 2 ** POINT_BITS

    def draw(n):
        if n in positive:
            return rng.randrange(1, size + 1)
        if n in negative:
            return -rng.randrange(1, size + 1)
        return rng.randrange(-size // 2, size // 2)
    return {n: flint.fmpq(draw(n)) for n in names}


def zero_modulo(num, relations: dict, ctx) -> bool:
    """Is the polynomial ``num`` zero once each relation R**2 == X is used?

    Writing num = even(R**2) + R*odd(R**2), both even(X) and odd(X) zero is sufficient
    (R is sqrt(X)); each is a rational function whose numerator is tested in turn.
    """
    if num.is_zero():
        return True
    if not relations:
        return False
    (name, x), rest = next(iter(relations.items())), dict(list(relations.items())[1:])
    index = ctx.variable_to_index(name)
    parts: dict = {0: {}, 1: {}}
    top = 0
    for exps, c in num.to_dict().items():
        e = exps[index]
        top = max(top, e // 2)
        key = exps[:index] + (0,) + exps[index + 1:]
        parts[e % 2].setdefault(e // 2, {})[key] = c
    for parity in (0, 1):
        total = ctx.constant(0)
        for k, terms in parts[parity].items():
            # c_k * X**k, over the common denominator X.den**top
            total += ctx.from_dict(terms) * x.num ** k * x.den ** (top - k)
        if not zero_modulo(total, rest, ctx):
            return False
    return True
