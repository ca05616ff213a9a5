"""Re-check one certificate (a JSON object) with the exact engine; no SymPy, no symbn.

Two kinds of certificate:

* ``"rationalized"``: the residual with batch moments as plain variables E_k (``atoms``
  says which mean each is), and the substitutions (pivot -> replacement, applied in
  order) that turn each square root sqrt(B_k) into a positive variable S_k.  Checked in
  four steps: the certificate is of the claim (its residual, the E_k restored, equals the
  claim's lhs - rhs in moment form); each substitution is the inverse of its radicand
  (a one-to-one change of variables onto B_k > 0); the rationalized residual, rebuilt in
  exact polynomial arithmetic (:mod:`symbn.certify.forms`: a square root whose argument
  is now a square of positive factors, such as S_k**2, is that factor), has the zero
  polynomial as numerator; and it is 0 at random integer points (Schwartz-Zippel).
* ``"general"``: the residual in general form (``Mean(...)`` over per-sample variables).
  Checked in moment form (each mean split by linearity into moments, which are then
  independent variables, square roots as atoms R with R**2 == X) when it is a polynomial
  identity there, and by exact evaluation on random concrete batches: a nonzero value at a
  valid batch refutes; zeros at random batches alone confirm nothing.

Either kind is first tied to its claim (the text ``[label: ]lhs == rhs`` is the residual in
moment form; the per-sample variables and sign assumptions are the declared ones) and to
its stated domain, which must imply every condition the check relies on
(:mod:`symbn.certify.domain`); otherwise nothing is confirmed.
"""

from __future__ import annotations

import ast
import random
import re
from dataclasses import dataclass

import flint

from symbn.certify.engine import (
    FUNCTIONS,
    POINT_BITS,
    Degree,
    DegreeAlgebra,
    Evaluator,
    Malformed,
    Parser,
    PointAlgebra,
    PolyAlgebra,
    RatFunc,
    Refused,
    Undefined,
    exact_sqrt,
    names_in,
    random_point,
    subtrees,
    zero_modulo,
)
from symbn.certify.cases import zero_in_every_case
from symbn.certify.domain import (ANY, NEG, NONNEG, NONPOS, NONZERO, POS, Signs, Vacuous, needed,
                                  stated, unmet)
from symbn.certify.forms import exact_forms

FORMAT = "symbn-certificate/1"
POINTS = 8
_MAX_DRAWS = 64


@dataclass(frozen=True)
class Result:
    """``confirmed``: True (the zero is confirmed), False (found nonzero), None (not checked)."""

    confirmed: bool | None
    lines: tuple[str, ...]


def check(data, *, seed: int = 0) -> Result:
    """Check one certificate; :class:`Malformed` for one that cannot be read."""
    if not isinstance(data, dict):
        raise Malformed("a certificate is a JSON object")
    if data.get("format") != FORMAT:
        raise Malformed(f"unknown format {data.get('format')!r} (expected {FORMAT!r})")
    kind = data.get("kind")
    if kind == "rationalized":
        return _check_rationalized(data, Parser(), random.Random(seed))
    if kind == "general":
        return _check_general(data, Parser(), random.Random(seed))
    raise Malformed(f"unknown kind {kind!r} (expected 'rationalized' or 'general')")


def _field(data, key, kind):
    if key not in data:
        raise Malformed(f"the field {key!r} is missing")
    value = data[key]
    if not isinstance(value, kind):
        raise Malformed(f"the field {key!r} must be a {kind.__name__}")
    return value


def _pairs(data, key, parser: Parser) -> list[tuple[str, ast.expr]]:
    pairs = _field(data, key, list)
    if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
        raise Malformed(f"the field {key!r} must be a list of [name, expression] pairs")
    return [(p[0], parser.parse(p[1], f"{key} of {p[0]}")) for p in pairs]


def _declared(data, used: set[str]) -> dict:
    variables = _field(data, "variables", dict)
    missing = sorted(used - set(variables))
    if missing:
        raise Malformed(f"undeclared variable(s): {', '.join(missing)}")
    for name in variables:
        if not name.isidentifier():
            raise Malformed(f"the variable name {name!r} is not an identifier")
    return variables


_PER_SAMPLE = "per-sample variable"


def _samples(data, variables) -> list[str]:
    """The per-sample variables: exactly those the certificate declares as such."""
    samples = _field(data, "samples", list)
    declared = {n for n, meaning in variables.items()
                if isinstance(meaning, str) and meaning.startswith(_PER_SAMPLE)}
    if set(samples) != declared:
        raise Malformed(f"'samples' lists {sorted(samples)}, but the variables declared "
                        f"per-sample are {sorted(declared)}")
    return samples


def _signs_declared(variables, signs: dict) -> None:
    """Each sign a check assumes is one its variable is declared with, such as 'symbol a
    (positive, nonnegative)': an assumption appears in the claim, never only in a list."""
    for name, sign in signs.items():
        meaning = variables.get(name)
        words = re.search(r"\(([^()]*)\)$", meaning) if isinstance(meaning, str) else None
        if not words or sign not in [w.strip() for w in words.group(1).split(",")]:
            raise Malformed(f"{name} is assumed {sign}, but its declaration {meaning!r} "
                            f"does not say {sign}")


def _claim(data, parser: Parser) -> ast.expr:
    """lhs - rhs of the claim's text ``[label: ]lhs == rhs``.  A name it uses that the
    certificate does not declare (one that cancels in lhs - rhs) is compared as a
    per-sample variable, the most general kind."""
    text = _field(data, "claim", str)
    label, _, equation = text.partition(": ") if ": " in text else ("", "", text)
    if "=" in label:  # the one equation in the text is the one checked
        raise Malformed(f"the claim's label {label[:80]!r} holds an equation")
    lhs, equals, rhs = equation.partition(" == ")
    if equals and "=" not in lhs + rhs and "#" not in equation and equation.isprintable():
        # Sides a certificate may hold (+ - * / ** and calls) all bind tighter than ==, so
        # two one-line sides that read as such are the equation's; the left is most often
        # the claim_residual's text, read already.  Else the whole text is read (a line
        # break or comment may end it), for the reason.
        try:
            return parser.share(ast.BinOp(parser.parse(lhs, "the claim"), ast.Sub(),
                                          parser.parse(rhs, "the claim")), "the claim")
        except Malformed:
            pass
    try:
        node = ast.parse(equation, mode="eval").body
    except SyntaxError:
        node = None
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Eq)):
        raise Malformed(f"the claim {text[:80]!r} is not '[label: ]lhs == rhs'")
    return parser.share(ast.BinOp(node.left, ast.Sub(), node.comparators[0]), "the claim")


def _domain_unmet(data, trees, radicals, variables, samples, name_signs, atoms=None):
    """(None, the line saying so) when the stated domain implies every condition the check
    relies on (each divisor nonzero, each root's argument >= 0, each radicand > 0); else
    (the reason, None)."""
    domain = stated(data.get("domain", []))
    signs = Signs(name_signs, atoms or {})
    kw = dict(names=sorted(variables), signs=signs, samples=samples, atoms=atoms,
              radicals=radicals, positive={n for n, s in name_signs.items() if s == POS},
              negative={n for n, s in name_signs.items() if s == NEG},
              known={})  # the second call meets the first one's atoms: carried on
    conditions = [c for tree in trees for c in needed(tree)]
    # what the trees' own signs show (eps + a square > 0) is known of their expanded forms
    evident = [(t, signs.of(t)) for t, _ in conditions
               if any(signs.of(t) <= s for s in (POS, NEG, NONZERO))]
    try:
        missing = unmet([(b, POS) for _, b in radicals], domain + evident, **kw)
        if not missing:
            missing = unmet(conditions, domain + evident + [(b, POS) for _, b in radicals],
                            **kw)
    except Vacuous as why:
        return f"python-flint: a vacuous domain: {why}", None
    if missing:
        shown = "; ".join(sorted(set(missing)))
        return f"python-flint: the stated domain does not imply {shown[:400]}", None
    count = len(conditions) + len(radicals)
    return None, (f"domain: the stated one ({len(domain)} condition(s)) and the signs imply "
                  f"the {count} condition(s) the reduction relies on (divisors nonzero, "
                  "roots' arguments >= 0, radicands > 0)")


def _given(positive, negative) -> str:
    """The sign assumptions a confirmation used (they are the claim's, stated with it)."""
    signs = [f"{n} > 0" for n in sorted(positive)] + [f"{n} < 0" for n in sorted(negative)]
    return f", given {', '.join(signs)}" if signs else ""


def _bound(degree: int, points: int) -> str:
    per_point = degree / 2 ** POINT_BITS
    if per_point == 0:
        return "exact (constant)"
    return f"Schwartz-Zippel error <= {per_point ** points:.0e}"


# --- rationalized certificates ----------------------------------------------------------


def _called(call: ast.Call) -> str:
    return getattr(call.func, "id", "")


def _check_rationalized(data, parser: Parser, rng) -> Result:
    residual = parser.parse(_field(data, "residual", str), "residual")
    numerator = parser.parse(_field(data, "numerator", str), "numerator")
    substitutions = _pairs(data, "substitutions", parser)
    radicals = _pairs(data, "radicals", parser)
    degree = _field(data, "degree", int)
    trees = [residual, numerator] + [t for _, t in substitutions + radicals]
    used = set().union(*map(names_in, trees)) | {n for n, _ in substitutions + radicals}
    variables = _declared(data, used)
    positive = set(_field(data, "positive", list)) | {n for n, _ in radicals}
    negative = set(_field(data, "negative", list))
    if positive & negative:
        return Result(None, (f"a vacuous domain: {', '.join(sorted(positive & negative))} "
                             "both positive and negative",))
    _signs_declared(variables, {n: "positive" for n in positive - {n for n, _ in radicals}}
                    | {n: "negative" for n in negative})
    names = sorted(set(variables) | used)
    try:
        relations_declared = _change_of_variables(residual, substitutions, radicals, names)
        (rational, recorded), relations, ctx = exact_forms(
            [residual, numerator], names, positive=positive, negative=negative,
            substitutions=substitutions,
            declared=[(s, b) for s, b in radicals if s in relations_declared])
    except (Refused, Undefined) as why:
        return Result(None, (f"python-flint: the certificate does not rationalize the "
                             f"residual: {why}",))
    samples = _samples(data, variables)
    atoms = {n: parser.parse(t, f"the moment {n}")
             for n, t in _field(data, "atoms", dict).items()}
    linked = _linked(data, parser, residual, variables, samples, atoms, positive, negative)
    if linked is not True:
        return Result(None, (linked,))
    name_signs = {n: POS if n in positive else NEG if n in negative else ANY for n in variables}
    # the claim's text too: a side undefined in the stated domain (x/x == 1/sqrt(0)) is
    # not made defined by a residual in which it cancels
    unmet_domain, domain_line = _domain_unmet(
        data, [residual, _claim(data, parser), *(b for _, b in radicals)], radicals,
        variables, samples, name_signs, atoms)
    if unmet_domain:
        return Result(None, (unmet_domain,))
    d = _degree(residual, substitutions, names)
    if d != degree:
        raise Malformed(f"the recorded degree {degree} is not the numerator's formal "
                        f"degree {d}")
    free = len(set(names) - {n for n, _ in substitutions})
    how = ("" if not relations else
           f", reduced by {len(relations)} relation(s) R**2 = B for the roots left")
    if not zero_modulo(rational.num, relations, ctx):
        # A nonzero rational function of free variables is nonzero on part of the region
        # S_k > 0: the claim is false there.  With relations it may be a true identity the
        # reduction does not see, and so with calls such as exp and log, which are atoms
        # here, independent of each other though they need not be (exp(a + b) = exp(a) exp(b))
        opaque = sorted({_called(n) for t in trees for n in subtrees(t)
                         if isinstance(n, ast.Call) and _called(n) not in FUNCTIONS})
        nonzero = (f"python-flint: the rationalized numerator (formal degree {d}, {free} "
                   f"variables{how}) is NOT the zero polynomial")
        if opaque:
            return Result(None, (f"{nonzero} with each call of {', '.join(opaque)} taken as "
                                 "an independent atom, which such calls need not be "
                                 "(exp(a + b) is exp(a)*exp(b)): this refutes nothing",))
        return Result(None if relations else False, (nonzero,))
    if not zero_modulo(recorded.num, relations, ctx):
        raise Malformed("the recorded numerator is not the zero polynomial")
    lines = [f"python-flint: the rationalized numerator (formal degree {d} in {free} variables"
             f"{how}) is the zero polynomial{_given(positive - {n for n, _ in radicals}, negative)}"]
    if relations or ctx.nvars() > len(names):
        lines.append("exact evaluation at points: not applicable (a square root or function "
                     "left as an atom has no rational value)")
        return Result(True, (*lines, domain_line))
    zeros = _points(residual, substitutions, names, positive, negative, rng)
    if zeros is not True:
        return Result(None if "drew only" in zeros else False, (lines[0], zeros))
    lines.append(f"exact evaluation at {POINTS} random integer points (|S| = 2^{POINT_BITS}): "
                 f"all 0 ({_bound(d, POINTS)})")
    return Result(True, (*lines, domain_line))


def _linked(data, parser: Parser, residual, variables, samples, atoms, positive, negative):
    """True when the claim's text lhs == rhs, its ``claim_residual`` and the certificate's
    residual (the E_k replaced by the means they stand for) are one expression in moment
    form; else the reason."""
    claim = parser.parse(_field(data, "claim_residual", str), "claim_residual")
    text = _claim(data, parser)
    _declared(data, names_in(claim) | set(samples) | set(atoms)
              | set().union(set(), *map(names_in, atoms.values())))
    extra = names_in(text) - set(variables)
    try:
        (t, a, b), relations, ctx = exact_forms([text, claim, residual],
                                                sorted(set(variables) | extra),
                                                samples=[*samples, *extra], positive=positive,
                                                negative=negative, derived=atoms)
    except (Refused, Undefined) as why:
        return f"python-flint: cannot compare the certificate with the claim: {why}"
    if not zero_modulo((t - a).num, relations, ctx):
        return ("python-flint: the claim's text lhs == rhs is not its claim_residual (in "
                "moment form): not the claim's certificate")
    if not zero_modulo((a - b).num, relations, ctx):
        return ("python-flint: the certificate's residual is not the claim's lhs - rhs "
                "(in moment form)")
    return True


def _change_of_variables(residual, substitutions, radicals, names) -> set[str]:
    """Check that the substitutions are an invertible change of variables; the names of
    the radicals that are relations (S**2 == B, no substitution).

    Substitution k must be ``p_k -> (S_k**2 - rest)/c`` where radical k is
    ``B_k = c*p_k + rest`` (c a nonzero number, rest free of p_k and S_k): then p_k <-> S_k
    is a bijection of {B_k > 0} onto {S_k > 0}, and B_k becomes S_k**2.  Radicals after the
    last substitution are relations S**2 == B in the final variables.  Every S_k is fresh.
    """
    if len(radicals) < len(substitutions):
        raise Malformed("each substitution needs its radical (S_k, B_k)")
    ctx = flint.fmpq_mpoly_ctx.get(tuple(names))
    poly = PolyAlgebra(ctx)
    gens = {n: RatFunc(ctx.gen(i), ctx.constant(1)) for i, n in enumerate(names)}
    pivots = [p for p, _ in substitutions]
    seen = set(names_in(residual))
    if len(set(pivots)) != len(pivots):
        raise Malformed("a variable is substituted twice")
    relations = set()
    for k, (s, base) in enumerate(radicals):
        b_names = names_in(base)
        if s in seen or s in b_names or s in pivots:
            raise Malformed(f"the radical's variable {s} is not fresh")
        if k < len(substitutions):
            pivot, replacement = substitutions[k]
            if b_names & set(pivots[:k]):
                raise Malformed(f"the radicand of {s} holds a variable already substituted")
            b = Evaluator(poly, gens).eval(base)
            c = _linear_coefficient(b, pivot, poly)
            if c is None:
                raise Refused(f"the radicand of {s} is not c*{pivot} + rest with a nonzero "
                              "number c")
            rest = b - gens[pivot] * c
            wanted = (gens[s] * gens[s] - rest) / c
            if not Evaluator(poly, gens).eval(replacement) == wanted:
                raise Refused(f"the substitution of {pivot} is not (S**2 - rest)/c for its "
                              "radicand")
            seen |= names_in(replacement) | b_names | {s}
        else:
            if b_names & set(pivots):
                raise Malformed(f"the radicand of {s} holds a substituted variable")
            relations.add(s)
            seen |= b_names | {s}
    return relations


def _linear_coefficient(b: RatFunc, pivot: str, poly):
    """c when b = c*pivot + rest, c a nonzero number and rest free of pivot; else None."""
    i = poly.ctx.variable_to_index(pivot)
    if b.den.degrees()[i] or b.num.degrees()[i] != 1:
        return None
    top = poly.ctx.from_dict({k: v for k, v in b.num.to_dict().items() if k[i] == 1})
    c = RatFunc(top, b.den * poly.ctx.gen(i))
    c = c.normalized()
    if not (c.num.is_constant() and c.den.is_constant()) or c.num.is_zero():
        return None
    return c


def _substituted(gens, substitutions, evaluator):
    """Each variable's value once every substitution is applied, in order."""
    values = dict(gens)
    for name, replacement in reversed(substitutions):
        values[name] = evaluator(values).eval(replacement)
    return values


def _degree(residual, substitutions, names) -> int:
    algebra = DegreeAlgebra()
    gens = {n: Degree(1, 0) for n in names}
    values = _substituted(gens, substitutions, lambda env: Evaluator(algebra, env))
    return Evaluator(algebra, values, sqrt=_root_degree,
                     opaque=lambda name, args: Degree(1, 0)).eval(residual).num


def _root_degree(value: Degree) -> Degree:
    """sqrt(X) is a factor of X's square root (at most half its degree) times an atom."""
    return Degree((value.num + 1) // 2 + 1, (value.den + 1) // 2)


def _points(residual, substitutions, names, positive, negative, rng):
    algebra = PointAlgebra()
    found = draws = 0
    while found < POINTS:
        draws += 1
        if draws > _MAX_DRAWS:
            return (f"exact evaluation: {_MAX_DRAWS} random points drew only {found} where "
                    "the residual is defined")
        point = random_point(names, positive, negative, rng)
        try:
            values = _substituted(point, substitutions, lambda env: Evaluator(algebra, env))
            value = Evaluator(algebra, values, sqrt=_positive_sqrt).eval(residual)
        except Undefined:
            continue
        if value != 0:
            return f"exact evaluation at a random integer point gives {value}, not 0"
        found += 1
    return True


# --- general-form certificates -----------------------------------------------------------


def _check_general(data, parser: Parser, rng) -> Result:
    residual = parser.parse(_field(data, "residual", str), "residual")
    text = _claim(data, parser)
    variables = _declared(data, names_in(residual))
    samples = _samples(data, variables)
    extra = names_in(text) - set(variables)
    signs = _field(data, "signs", dict)
    _signs_declared(variables, signs)
    integers = set(_field(data, "integer", list))
    batch_symbol = data.get("batch_symbol")
    lines = []
    positive = {n for n, sign in signs.items() if sign == "positive"}
    negative = {n for n, sign in signs.items() if sign == "negative"}
    names = sorted(variables)
    try:
        (a, b), relations, ctx = exact_forms([text, residual], sorted(set(names) | extra),
                                             samples=[*samples, *extra], positive=positive,
                                             negative=negative)
        same = zero_modulo((a - b).num, relations, ctx)
    except (Refused, Undefined):  # a piecewise claim: the difference by a case split
        try:
            same, _ = zero_in_every_case(ast.BinOp(text, ast.Sub(), residual),
                                         sorted(set(names) | extra),
                                         samples=[*samples, *extra], positive=positive,
                                         negative=negative)
        except Refused:  # a piecewise function in a mean: the text must be residual == 0
            same = text is parser.share(ast.BinOp(residual, ast.Sub(), ast.Constant(0)),
                                        "the residual")
    if not same:
        return Result(None, ("python-flint: the claim's text lhs == rhs is not the "
                             "certificate's residual (in moment form)",))
    name_signs = {n: {"positive": POS, "negative": NEG, "nonnegative": NONNEG,
                      "nonpositive": NONPOS}.get(signs.get(n), ANY) for n in variables}
    unmet_domain, domain_line = _domain_unmet(data, [residual, text], [], variables, samples,
                                              name_signs)
    if unmet_domain:
        return Result(None, (unmet_domain,))
    confirmed = False
    try:
        confirmed, line = _polynomial_zero(residual, names, samples, positive, negative)
    except Refused as why:
        line = f"python-flint: no polynomial check ({why})"
    lines.append(line)
    tested = _batches(residual, sorted(variables), samples, signs, integers, batch_symbol, rng)
    if isinstance(tested, str) and tested.startswith("REFUTED"):
        return Result(False, tuple(lines) + (tested[len("REFUTED "):],))
    lines.append(tested)
    if confirmed:
        lines.append(domain_line)
    return Result(True if confirmed else None, tuple(lines))


def _polynomial_zero(residual, names, samples, positive, negative) -> tuple[bool, str]:
    """(zero, the line that says how python-flint decided it): in moment form, else (a
    piecewise residual) in each sign case of its piecewise functions.  Not zero refutes
    nothing alone; Refused, with both reasons, when neither check applies."""
    given = _given(positive, negative)
    try:
        zero, d, count = _moment_form_zero(residual, names, samples, positive, negative)
    except Refused as why:
        try:
            zero, cases = zero_in_every_case(residual, names, samples=samples,
                                             positive=positive, negative=negative)
        except Refused as case_why:
            raise Refused(f"{why}; {case_why}") from None
        return zero, (f"python-flint: zero in each of the {cases} sign cases of its piecewise "
                      "functions (each boundary substituted, exactly)" + given if zero else
                      "python-flint: not zero in one of its sign cases, which alone refutes "
                      "nothing")
    return zero, (f"python-flint: in moment form, the numerator (formal degree {d} in {count} "
                  "variables, moments independent) is the zero polynomial" + given if zero else
                  "python-flint: in moment form (moments independent) the numerator is not "
                  "the zero polynomial, which alone refutes nothing")


def _moment_form_zero(residual, names, samples, positive, negative):
    """(numerator is zero, formal degree, variables): moments and roots as atoms."""
    (value,), relations, ctx = exact_forms([residual], names, samples=samples,
                                           positive=positive, negative=negative)
    degree = Evaluator(DegreeAlgebra(), {n: Degree(1, 0) for n in names}, sqrt=_root_degree,
                       mean=lambda node: Degree(1, 0),
                       opaque=lambda name, args: Degree(1, 0)).eval(residual).num
    return zero_modulo(value.num, relations, ctx), degree, ctx.nvars()


def _sample_value(name, signs, integers, rng):
    size = 2 ** POINT_BITS
    v = flint.fmpq(rng.randrange(1, size)) if name in integers else \
        flint.fmpq(rng.randrange(1, size), rng.randrange(1, 64))
    sign = signs.get(name)
    if sign in ("positive", "nonnegative"):
        return v
    if sign in ("negative", "nonpositive"):
        return -v
    return v if rng.random() < 0.5 else -v


def _batches(residual, names, samples, signs, integers, batch_symbol, rng) -> str:
    """Exact evaluation on random concrete batches; "REFUTED ..." on a nonzero value."""
    found = draws = 0
    sizes = [2, 3, 4, 5]
    algebra = PointAlgebra()
    reasons: set[str] = set()
    while found < POINTS and draws < _MAX_DRAWS:
        draws += 1
        m = sizes[draws % len(sizes)]
        constants = {n: _sample_value(n, signs, integers, rng) for n in names if n not in samples}
        batch = {n: [_sample_value(n, signs, integers, rng) for _ in range(m)] for n in samples}
        if batch_symbol in constants:
            constants[batch_symbol] = flint.fmpq(m)
        try:
            value = _at_batch(residual, constants, batch, m, algebra)
        except Undefined as why:
            reasons.add(str(why))
            continue
        except Refused as why:
            return f"exact evaluation on batches: not possible ({why})"
        if value != 0:
            shown = "; ".join([f"{n} = [{', '.join(map(str, vs))}]" for n, vs in batch.items()]
                              + [f"{n} = {v}" for n, v in constants.items()])
            return (f"REFUTED exact evaluation on a random batch (m = {m}; {shown}) gives "
                    f"{value}, not 0")
        found += 1
    if found < POINTS:
        return (f"exact evaluation on batches: only {found} of {draws} random batches were "
                f"exact ({'; '.join(sorted(reasons))})")
    return (f"exact evaluation on {POINTS} random batches (m = {', '.join(map(str, sizes))}): "
            "all 0 (a test, not a proof)")


def _at_batch(residual, constants, batch, m, algebra):
    means: dict = {}

    def at(i):
        env = dict(constants)
        env.update({n: vs[i] for n, vs in batch.items()})
        return Evaluator(algebra, env, sqrt=_positive_sqrt, mean=mean, piecewise=True)

    def mean(node):
        if id(node) not in means:
            means[id(node)] = sum((at(i).eval(node) for i in range(m)), flint.fmpq(0)) / m
        return means[id(node)]

    return at(0).eval(residual)


def _positive_sqrt(value):
    if value <= 0:
        raise Undefined("a radicand that is not positive at the point")
    return exact_sqrt(value)



def formal_degree(data) -> int:
    """The formal degree of a rationalized certificate's numerator (its ``degree`` field)."""
    parser = Parser()
    residual = parser.parse(_field(data, "residual", str), "residual")
    substitutions = _pairs(data, "substitutions", parser)
    names = set(names_in(residual)) | {n for n, _ in substitutions}
    names |= set().union(set(), *(names_in(t) for _, t in substitutions))
    return _degree(residual, substitutions, sorted(names))
