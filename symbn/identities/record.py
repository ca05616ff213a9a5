"""Identity records: one declarative claim each, with its controls and cross-checks.

An :class:`Identity` states a claim (lhs == rhs under assumptions), where it comes from,
the verdict it should get, and at least one *control*: a wrong variant that must come out
REFUTED, so a prover that says PROVED is seen to be able to say REFUTED too.  General-form
claims also carry an explicit-m cross-check: the same claim at concrete batch sizes.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Iterator
from typing import cast

import sympy as sp

from symbn.core import N, instantiate
from symbn.display import Displayable, drawing
from symbn.prove import Status, Verdict, apply_assumptions, prove
from symbn.certify import Malformed
from symbn.prove.certificate import Certificate, certificate_data
from symbn.prove.budget import run_with_budget
from symbn.prove.pool import map_ordered


@dataclass(frozen=True)
class Claim:
    """lhs == rhs, with ``where`` substitutions (eps = 0) and sign ``assume``-ptions."""

    lhs: sp.Expr
    rhs: sp.Expr
    where: dict = field(default_factory=dict)
    assume: tuple = ()
    steps: tuple[tuple[str, sp.Expr], ...] = ()  # the derivation, for the report
    #: "==", or an inequality lhs <= rhs ("<=", "<", ">=", ">"): symbn.prove.inequality
    relation: str = "=="
    #: :meth:`formula` and :meth:`drawn`, once computed (kept in the cache with the claim)
    _formula: dict[str, str] | None = field(default=None, compare=False, repr=False)
    _drawn: str | None = field(default=None, compare=False, repr=False)

    def formula(self) -> dict[str, str]:
        """The claim as text: each side (SymPy's ``sstr``) and the relation; computed once."""
        if self._formula is None:
            object.__setattr__(self, "_formula", {
                "lhs": sp.sstr(self.lhs), "relation": self.relation, "rhs": sp.sstr(self.rhs)})
        return cast(dict[str, str], self._formula)

    def drawn(self) -> str:
        """The 2-D drawing of the claim (:func:`symbn.display.drawing`); computed once."""
        if self._drawn is None:
            object.__setattr__(self, "_drawn", drawing(
                sp.Rel(self.lhs, self.rhs, self.relation, evaluate=False)))
        return cast(str, self._drawn)

    def prove(self, budget: float) -> Verdict:
        if self.relation != "==":
            from symbn.prove.inequality import prove_inequality, relation_of

            return prove_inequality(relation_of(self.lhs, self.relation, self.rhs),
                                    where=self.where, assume=self.assume, budget=budget)
        return prove(self.lhs, self.rhs, where=self.where, assume=self.assume, budget=budget)


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display: Displayable
class Identity(Displayable, document="identity"):
    """A claim about BN and friends, with everything needed to check and report it.

    ``build`` makes the claim when first needed; ``explicit(m)`` its explicit form at
    batch size m (by default both sides instantiated); ``controls`` are wrong variants.
    """

    name: str
    title: str
    statement: str
    source: str
    build: Callable[[], Claim]
    tags: tuple[str, ...] = ()
    expected: Status = Status.PROVED
    controls: tuple[Identity, ...] = ()
    explicit_sizes: tuple[int, ...] = ()
    explicit: Callable[[int], Claim] | None = None
    table: tuple[str, str, str] | None = None  # (table, row, column) for a matrix report

    def claim(self) -> Claim:
        return self.build()

    def explicit_claim(self, m: int) -> Claim:
        if self.explicit is not None:
            return self.explicit(m)
        c = self.claim()
        if c.assume and not any(str(k) == N.name for k in c.where):
            # the prover takes the explicit form (where N = m) after applying the
            # assumptions, so "u > 0" on a sample variable holds for u0, ..., u{m-1}
            return Claim(c.lhs, c.rhs, {**c.where, N: m}, c.assume, relation=c.relation)
        return Claim(instantiate(c.lhs, m), instantiate(c.rhs, m), c.where, c.assume,
                     relation=c.relation)


def control(name: str, statement: str, build: Callable[[], Claim]) -> Identity:
    """A wrong variant of an identity: expected REFUTED, with a counterexample."""
    return Identity(name=name, title=statement, statement=statement, source="control",
                    build=build, expected=Status.REFUTED)


@dataclass(frozen=True, repr=False)  # str(), repr() and Jupyter's display: Displayable
class CheckedIdentity(Displayable, document="checked identity"):
    """An identity's verdict, its controls' verdicts and its explicit cross-checks."""

    identity: Identity
    claim: Claim
    verdict: Verdict
    controls: tuple[CheckedIdentity, ...]
    explicit: tuple[tuple[int, Verdict], ...]

    @property
    def as_expected(self) -> bool:
        return (self.verdict.status is self.identity.expected
                and all(c.as_expected for c in self.controls)
                and all(v.status is self.identity.expected for _, v in self.explicit))

    @property
    def cross_check(self) -> str | None:
        """What backs a construction (lhs - rhs 0 as built, by Mean's own rules): its
        explicit cross-checks, when the identity builds them from plain sums; None when
        the verdict is not a construction.  Shown with the verdict."""
        if not self.verdict.method.startswith("construction"):
            return None
        if self.identity.explicit is None or not self.explicit:
            return ("not cross-checked: 0 as built, and no explicit form built without "
                    "Mean's rules")
        sizes = ", ".join(str(m) for m, _ in self.explicit)
        statuses = {v.status for _, v in self.explicit}
        outcome = "PROVED" if statuses == {Status.PROVED} else \
            "NOT all PROVED: " + ", ".join(f"m = {m}: {v.status}" for m, v in self.explicit)
        return f"cross-checked at m = {sizes} on plain sums: {outcome}"

    @property
    def seconds(self) -> float:
        return (self.verdict.seconds + sum(c.seconds for c in self.controls)
                + sum(v.seconds for _, v in self.explicit))


def check(identity: Identity, *, budget: float = 5.0, explicit: bool = True,
          cache=None) -> CheckedIdentity:
    """Prove ``identity``, refute its controls, and run its explicit cross-checks.

    With a :class:`symbn.cache.Cache`, built claims and verdicts are read from disk when
    symbn's code and the claim are unchanged.
    """
    return check_all([identity], budget=budget, explicit=explicit, cache=cache, jobs=1)[0]


def check_all(identities: Iterable[Identity], *, budget: float = 5.0, explicit: bool = True,
              cache=None, jobs: int | None = None,
              done: Callable[[Identity], None] = lambda identity: None) -> list[CheckedIdentity]:
    """:func:`check` of each identity, in the order given; ``done(identity)`` as each
    finishes.  Every verdict (an identity's, each control's, each explicit cross-check's)
    is a task of its own, ``jobs`` at a time (default: every core): an identity with many
    controls or explicit sizes is spread over the cores rather than holding one."""
    planned = [(identity, _tasks(identity, identity, budget, explicit, cache))
               for identity in identities]
    remaining = {id(identity): len(tasks) for identity, tasks in planned}

    def finished(task: _Task) -> None:
        remaining[id(task.top)] -= 1
        if not remaining[id(task.top)]:
            done(task.top)

    tasks = [t for _, each in planned for t in each]
    # what the cache holds is read first, in this thread (a warm run starts no pool and
    # no worker); the rest is proved on every core
    results = _read_cached(tasks, cache)
    for task, result in zip(tasks, results):
        if result is not None:
            finished(task)
    todo = [t for t, result in zip(tasks, results) if result is None]
    proved = iter(map_ordered(_Task.run, todo, jobs=jobs, done=finished))
    reached = iter([result if result is not None else next(proved) for result in results])
    return [_assemble(identity, explicit, reached) for identity, _ in planned]


def _read_cached(tasks: list[_Task], cache) -> list[tuple[Claim | None, Verdict] | None]:
    """Each task's result when the cache holds it (its claim too, for a claim's own task),
    else None: only the catalogue's, whose keys need no claim built."""
    catalogued = [t for t in tasks if is_catalogued(t.identity)]
    if cache is None or not catalogued:
        return [None] * len(tasks)
    wanted = [[_verdict_of(t.identity.name, t.m, t.budget)]
              + ([("claim", t.identity.name)] if t.m is None else []) for t in catalogued]
    found = iter(cache.read_all([p for parts in wanted for p in parts]))
    read = {}
    for task, parts in zip(catalogued, wanted):
        entries = [next(found) for _ in parts]
        if all(has for has, _ in entries):
            verdict, claim = entries[0][1], (entries[-1][1] if task.m is None else None)
            read[id(task)] = (claim, dataclasses.replace(verdict, cached=True))
    return [read.get(id(t)) for t in tasks]


@dataclass(frozen=True)
class _Task:
    """One verdict to reach: ``identity``'s claim (its explicit form at ``m``), under
    ``top``, the identity of the catalogue or of a file the user asked for."""

    top: Identity
    identity: Identity
    m: int | None
    budget: float
    cache: object = None

    def run(self) -> tuple[Claim | None, Verdict]:
        """(the claim, when it is not an explicit form, and its verdict)."""
        catalogued = is_catalogued(self.identity)
        name = self.identity.name
        if self.m is None:
            claim = build_claim(self.identity, self.cache)
            return claim, prove_claim(claim, self.budget, self.cache,
                                      built_from=(name, None) if catalogued else None)
        # an explicit claim is built (or read) only when its verdict is not in the cache
        m = self.m
        build = lambda: _cached(self.cache if catalogued else None,  # noqa: E731
                                ("explicit", name, m), lambda: _build(self.identity, m))
        return None, prove_claim(build, self.budget, self.cache,
                                 built_from=(name, m) if catalogued else None)


def _tasks(top: Identity, identity: Identity, budget: float, explicit: bool,
           cache) -> list[_Task]:
    """The verdicts :func:`check` reaches for ``identity`` (``top``'s, or one of its
    controls'), in order: its claim, its controls' (recursively, without explicit forms),
    each explicit size's."""
    return [_Task(top, identity, None, budget, cache),
            *(t for c in identity.controls for t in _tasks(top, c, budget, False, cache)),
            *(_Task(top, identity, m, budget, cache)
              for m in (identity.explicit_sizes if explicit else ()))]


def _assemble(identity: Identity, explicit: bool,
              reached: Iterator[tuple[Claim | None, Verdict]]) -> CheckedIdentity:
    """The :class:`CheckedIdentity` of ``identity`` from the results of its :func:`_tasks`,
    taken from ``reached`` in the same order."""
    claim, verdict = next(reached)
    assert claim is not None  # a claim's own task returns it; only explicit ones do not
    controls = tuple(_assemble(c, False, reached) for c in identity.controls)
    sizes = identity.explicit_sizes if explicit else ()
    return CheckedIdentity(identity=identity, claim=claim, verdict=verdict, controls=controls,
                           explicit=tuple((m, next(reached)[1]) for m in sizes))


def build_claim(identity: Identity, cache=None) -> Claim:
    """``identity.claim()``, read from the cache when it was built before: only a claim of
    the catalogue, whose name and symbn's code (in every key) determine it."""
    catalogued = is_catalogued(identity)
    return _cached(cache if catalogued else None, ("claim", identity.name),
                   lambda: _build(identity, None))


def _build(identity: Identity, m: int | None) -> Claim:
    """``identity.claim()`` (``explicit_claim(m)`` for an m), built in the prover's worker
    process when ``identity`` is the catalogue's own (the worker finds it by name): there
    it runs beside the other threads' proofs, not under this process's one lock, and warms
    the worker's SymPy caches for the proof that follows.  Built here otherwise, and when
    the worker fails (an error in the build is then raised here, with its traceback)."""
    if is_catalogued(identity):
        outcome = run_with_budget(_build_catalogued, (identity.name, m), math.inf)
        if outcome.finished and outcome.error is None:
            return outcome.value
    return identity.claim() if m is None else identity.explicit_claim(m)


def _build_catalogued(name: str, m: int | None) -> Claim:
    identity = _catalogued()[name]
    if m is not None:
        return identity.explicit_claim(m)
    claim = identity.claim()
    # printed here, in parallel, and cached with the claim: the report states every claim,
    # and draws one that has no derivation steps to show
    claim.formula()
    if not claim.steps:
        claim.drawn()
    return claim


def is_catalogued(identity: Identity) -> bool:
    """True for an identity (or control) of the catalogue: its claim is a function of
    symbn's code, cached under its name; any other (a user's) is cached by its content."""
    return _catalogued().get(identity.name) is identity


@functools.cache
def _catalogued() -> dict[str, Identity]:
    """The catalogue's identities and their controls, by name."""
    from symbn.identities import CATALOGUE  # the catalogue is built from these records

    found: dict[str, Identity] = {}
    todo = list(CATALOGUE)
    while todo:
        identity = todo.pop()
        found.setdefault(identity.name, identity)
        todo.extend(identity.controls)
    return found


def _cached(cache, parts, compute):
    return compute() if cache is None else cache.get_or_compute(parts, compute)[0]


def prove_claim(claim: Claim | Callable[[], Claim], budget: float, cache=None, *,
                built_from: tuple[str, int | None] | None = None) -> Verdict:
    """``claim.prove(budget)``, through the cache when one is given; ``claim`` may be a
    function that builds it, called only when the verdict is not cached.

    ``built_from``: (name, m) when the claim is the catalogue identity's (its explicit form
    at m), whose verdict is then cached under that name: the claim is a function of
    symbn's code, which every cache key includes, so the claim's full text (long to
    print) need not be in the key."""
    build = claim if callable(claim) else lambda: claim

    def reach() -> Verdict:
        verdict = build().prove(budget)
        verdict.printed()  # printed here, in parallel with the other proofs, and cached
        return verdict
    if cache is None:
        return reach()
    if built_from is not None:
        parts: tuple = _verdict_of(*built_from, budget)
    else:
        built = build()
        build = lambda: built  # noqa: E731 -- built once
        where = tuple(sorted(built.where.items(), key=str))
        parts = ("verdict", built.lhs, built.rhs, where, built.assume, budget)
        if built.relation != "==":
            parts += (built.relation,)
    # a verdict that ran out of time says more about the machine's load than the claim
    verdict, hit = cache.get_or_compute(parts, reach, keep=lambda v: not v.timed_out)
    return dataclasses.replace(verdict, cached=True) if hit else verdict


def _verdict_of(name: str, m: int | None, budget: float) -> tuple:
    """The cache key's parts for the verdict of the catalogue's claim ``name`` (its explicit
    form at ``m``) under ``budget``."""
    return ("verdict of", name, m, budget)


def certificates(checked: CheckedIdentity) -> dict[str, dict | str]:
    """The JSON certificates of ``checked``'s PROVED verdicts, by file name.

    The claim itself (``NAME.json``) when a strategy proved it, its explicit cross-checks
    (``NAME-m3.json``), and for a matrix claim each entry (``NAME-entry2.json``).  A
    construction (lhs - rhs is 0 as built) has nothing of its own to certify: its explicit
    cross-checks, built from plain sums, are what can be checked.  A claim the
    certificate format cannot express (a function other than sqrt, Max, Min, Abs, sign,
    Heaviside) maps to the reason, a string, instead of a certificate.
    """
    name = checked.identity.name
    files: dict[str, dict | str] = {}
    proved = [(name, checked.claim, checked.verdict)]
    proved += [(f"{name}-m{m}", checked.identity.explicit_claim(m), v)
               for m, v in checked.explicit]
    for stem, claim, verdict in proved:
        if verdict.status is not Status.PROVED:
            continue
        (lhs, rhs), _ = apply_assumptions((claim.lhs, claim.rhs), claim.where, claim.assume)
        statement = f"{stem}: {sp.sstr(lhs)} {claim.relation} {sp.sstr(rhs)}"
        if claim.relation != "==":  # an inequality's certificate is its own JSON
            inequality = getattr(verdict.certificate, "to_json", None)
            data = inequality() if inequality is not None else None
            # the claim is stated in the certificate's own printing, so the checker can
            # tie the two together word for word
            files[f"{stem}.json"] = (
                {**data, "claim": f"{stem}: {data['lhs']} {data['relation']} {data['rhs']}",
                 "domain": list(verdict.domain), "assumptions": list(verdict.assumptions)}
                if data is not None else "no certificate: the inequality's verdict carries none")
            continue
        if verdict.certificate is not None:
            files[f"{stem}.json"] = _data(lhs - rhs, verdict, statement)
        elif isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
            for i, (a, b) in enumerate(zip(sp.Matrix(lhs), sp.Matrix(rhs))):
                if a - b != 0:
                    files[f"{stem}-entry{i}.json"] = _data(a - b, verdict, f"{stem}, entry {i}",
                                                           with_certificate=False)
        elif lhs - rhs != 0:
            files[f"{stem}.json"] = _data(lhs - rhs, verdict, statement)
    return files


def _data(residual, verdict: Verdict, statement: str, *, with_certificate: bool = True):
    """The certificate's JSON (the verdict's domain and assumptions stated), or why not."""
    certificate = verdict.certificate if with_certificate else None
    if certificate is not None and not isinstance(certificate, Certificate):
        return "no certificate: an inequality's certificate is not an equality's"
    try:
        data = certificate_data(residual, certificate, claim=statement)
    except Malformed as why:
        return f"no certificate: {why}"
    data["domain"] = list(verdict.domain)
    data["assumptions"] = list(verdict.assumptions)
    return data
