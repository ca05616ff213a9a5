"""Expressions as exact rational functions, square roots and batch means included.

:func:`exact_forms` evaluates expression trees into :class:`~symbn.certify.engine.RatFunc`
values over one flint context: the declared variables plus *atoms* it discovers on the
way, each an independent variable (a zero for independent atoms is a zero for every value
they stand for):

* ``sqrt(X)``: X = outside**2 * inside, where ``outside`` collects the square factors
  whose root is known (a factor of positive variables, or an even power); the root is
  ``outside * R`` with R the atom of ``inside`` and the relation R**2 == inside (or
  ``outside`` alone when inside is 1).  Valid wherever X >= 0, the real domain.
* ``Mean(h)``, h a polynomial in the per-sample variables: split by linearity into
  moments Mean(monomial), each an atom; any other mean is an atom of its own;
* any other function (exp, log, an undefined f): an atom of the function and its
  arguments.

Atoms are keyed by their normalized argument, so two spellings of one radicand meet.  A
pass that meets a new atom is redone with it in the context.
"""

from __future__ import annotations

import flint

from symbn.certify.engine import Evaluator, PolyAlgebra, RatFunc, Undefined

_FACTOR_BITS = 256  # integers up to this size are factored to pull square factors out


def exact_forms(trees, names, *, samples=(), positive=(), negative=(), derived=None,
                substitutions=(), declared=(), piecewise=None, atoms=None):
    """([RatFunc] for ``trees``, relations {atom: X with atom**2 == X}, ctx).

    ``derived``: names given the value of a tree first (a certificate's moment E_k =
    Mean(...)); ``substitutions``: (name, tree) applied in order; ``declared``: (S, B)
    square roots the certificate names, S**2 == B; ``piecewise(pass, name, values)``
    picks the branch of Max, Min, Abs, sign, Heaviside (else they are refused); ``atoms``
    (filled in) carries the atoms found by an earlier call, so no pass is redone for them.
    """
    derived = derived or {}
    atoms = {} if atoms is None else atoms  # key -> [name, sample dependent]
    while True:
        extra = [a for a, _ in atoms.values() if a not in names]
        ctx = flint.fmpq_mpoly_ctx.get(tuple(list(names) + extra))
        form = _Pass(ctx, atoms, set(samples), set(positive), set(negative), piecewise)
        try:
            values = form.run(trees, derived, substitutions, declared)
        except Undefined:
            if form.placeholders:
                continue  # a placeholder was divided by: the next pass knows that atom
            raise
        if not form.placeholders:
            return values, form.relations, ctx


class _Pass:
    def __init__(self, ctx, atoms, samples, positive, negative, piecewise=None):
        self.ctx, self.atoms = ctx, atoms
        self.poly = PolyAlgebra(ctx)
        self.names = set(ctx.names())
        index = ctx.variable_to_index
        self.positive = {index(n) for n in positive if n in self.names}
        self.negative = {index(n) for n in negative if n in self.names}
        self.dependent = {index(n) for n in samples} | {
            index(a) for a, dep in atoms.values() if dep and a in self.names}
        self.env = {n: self.gen(n) for n in ctx.names()}
        self.relations: dict = {}
        self.scale: dict = {}  # declared S -> outside, where S = outside * sqrt(inside)
        self.placeholders = False  # a new atom, not yet a variable, stood in as 1: redo
        branch = (lambda name, values: piecewise(self, name, values)) if piecewise else False
        self.evaluator = Evaluator(self.poly, self.env, sqrt=self.sqrt, mean=self.mean,
                                   opaque=self.opaque, piecewise=branch)

    def gen(self, name) -> RatFunc:
        return RatFunc(self.ctx.gen(self.ctx.variable_to_index(name)), self.ctx.constant(1))

    def run(self, trees, derived, substitutions, declared):
        """The values of ``trees``; None when the moments or substitutions already met an
        atom new to this pass (the trees would be evaluated with its placeholder)."""
        for name, tree in derived.items():
            self.evaluator.bind(name, self.evaluator.eval(tree))
        for name, tree in reversed(list(substitutions)):
            self.evaluator.bind(name, self.evaluator.eval(tree))
        if self.placeholders:
            return None
        for name, tree in declared:
            base = self.evaluator.eval(tree)
            outside, inside = self.split(base)
            key = _key(inside)
            self.atoms.setdefault(key, [name, self.depends(base)])
            self.relations[name] = base
            self.scale[name] = outside
        return [self.evaluator.eval(tree) for tree in trees]

    def depends(self, value) -> bool:
        return any(value.num.degrees()[i] or value.den.degrees()[i] for i in self.dependent)

    def atom(self, key, dependent, relation) -> RatFunc:
        if key not in self.atoms:
            self.atoms[key] = [f"__atom{len(self.atoms)}", dependent]
        name = self.atoms[key][0]
        if name not in self.names:
            self.placeholders = True
            return self.poly.const(1)
        if relation is not None:
            self.relations.setdefault(name, relation)
        return self.gen(name)

    def sqrt(self, value: RatFunc) -> RatFunc:
        outside, inside = self.split(value)
        if inside.num.is_one() and inside.den.is_one():
            return outside
        key = _key(inside)
        root = self.atom(key, self.depends(inside), inside)
        name = self.atoms[key][0]
        scale = self.scale.get(name)
        if scale is not None:  # a declared S = sqrt(B), B = scale**2 * inside
            root = root * scale.inverse()
        return outside * root

    def split(self, value: RatFunc):
        """(outside, inside): value == outside**2 * inside, outside > 0 on the domain."""
        num_out, num_in, num_c = self._split_poly(value.num)
        den_out, den_in, den_c = self._split_poly(value.den)
        c = num_c / den_c
        sign = -1 if c < 0 else 1
        p, q = abs(c).p, abs(c).q
        root, rest = _square_part(flint.fmpz(p) * flint.fmpz(q))  # sqrt(p/q) = sqrt(pq)/q
        const = flint.fmpq(root, q)
        outside = RatFunc(num_out * self.ctx.constant(const), den_out)
        inside = RatFunc(num_in * self.ctx.constant(sign * rest), den_in)
        return outside, inside

    def _split_poly(self, p):
        """(outside, inside, constant) with p == constant * outside**2 * inside."""
        content, factors = p.factor_squarefree()
        out, inside = self.ctx.constant(1), self.ctx.constant(1)
        for f, e in factors:
            k = e // 2
            sign = self.sign(f)
            pulled = k if sign else k - k % 2  # |f|**k is f**k for even k
            out *= (f if sign >= 0 else -f) ** pulled
            inside *= f ** (e - 2 * pulled)
        return out, inside, flint.fmpq(content)

    def sign(self, f) -> int:
        """+1 or -1 when every term of f has that sign wherever the positive variables are
        positive and the negative ones negative; 0 when it is not evident."""
        signs = set()
        for exps, c in f.terms():
            if any(e and i not in self.positive | self.negative for i, e in enumerate(exps)):
                return 0
            odd = sum(e for i, e in enumerate(exps) if i in self.negative) % 2
            signs.add((1 if c > 0 else -1) * (-1 if odd else 1))
        return signs.pop() if len(signs) == 1 else 0

    def opaque(self, name, args) -> RatFunc:
        keys = []
        for a in args:
            a = a.normalized()
            keys.append(f"({a.num})/({a.den})")
        return self.atom(f"{name}({', '.join(keys)})", any(map(self.depends, args)), None)

    def mean(self, node) -> RatFunc:
        h = self.evaluator.eval(node)
        if any(h.den.degrees()[i] for i in self.dependent):
            h = h.normalized()
            return self.atom(f"Mean(({h.num})/({h.den}))", False, None)
        total = self.poly.const(0)
        groups: dict = {}
        for exps, c in h.num.to_dict().items():
            key = tuple(e if i in self.dependent else 0 for i, e in enumerate(exps))
            rest = tuple(0 if i in self.dependent else e for i, e in enumerate(exps))
            groups.setdefault(key, {})[rest] = c
        for key, terms in groups.items():
            part = RatFunc(self.ctx.from_dict(terms), self.ctx.constant(1))
            if any(key):
                monomial = str(self.ctx.from_dict({key: 1}))
                part = part * self.atom(f"Mean({monomial})", False, None)
            total = total + part
        return total * RatFunc(self.ctx.constant(1), h.den)


def _key(inside: RatFunc) -> str:
    inside = inside.normalized()
    return f"sqrt(({inside.num})/({inside.den}))"


def _square_part(n: flint.fmpz):
    """(r, rest) with n == r**2 * rest, rest free of square factors (when n is small
    enough to factor; else only an exact square is recognized)."""
    if n.bit_length() > _FACTOR_BITS:
        root, remainder = n.sqrtrem()
        return (root, flint.fmpz(1)) if remainder == 0 else (flint.fmpz(1), n)
    root, rest = flint.fmpz(1), flint.fmpz(1)
    for prime, e in n.factor():
        root *= prime ** (e // 2)
        rest *= prime ** (e % 2)
    return root, rest
