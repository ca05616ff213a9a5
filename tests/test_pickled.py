"""symbn.pickled.loads: SymPy expressions come back exactly as stored, not simplified again."""

import pickle

import sympy as sp

from symbn.identities import CATALOGUE
from symbn.pickled import loads


def _same(a, b):
    if isinstance(a, sp.MatrixBase):
        return type(a) is type(b) and a.shape == b.shape and all(map(_same, a, b))
    return type(a) is type(b) and a == b and hash(a) == hash(b) and sp.srepr(a) == sp.srepr(b)


def test_an_evaluated_expression_comes_back_the_same_object():
    """Every catalogue claim (both sides and every derivation step) read back by loads is
    the object plain pickle rebuilds by simplifying again: equal, same hash, same srepr."""
    compared = 0
    for identity in CATALOGUE[:40]:
        claim = identity.claim()
        payload = pickle.dumps(claim)
        plain, ours = pickle.loads(payload), loads(payload)
        for a, b in [(plain.lhs, ours.lhs), (plain.rhs, ours.rhs),
                     *((x, y) for (_, x), (_, y) in zip(plain.steps, ours.steps))]:
            assert _same(a, b), sp.srepr(a)
            compared += 1
    assert compared > 100


def test_an_unevaluated_expression_comes_back_as_stored():
    x, y = sp.symbols("x y")
    stored = [sp.Mul(2, x + y, evaluate=False), sp.Add(x, x, evaluate=False),
              sp.Pow(4, sp.S.Half, evaluate=False), sp.Max(1, 2, evaluate=False),
              sp.Min(3, 1, evaluate=False)]
    for expr in stored:
        back = loads(pickle.dumps(expr))
        assert sp.srepr(back) == sp.srepr(expr)
        # plain pickle simplifies it again: a different expression
        assert sp.srepr(pickle.loads(pickle.dumps(expr))) != sp.srepr(expr)


def test_an_unevaluated_read_leaves_evaluated_construction_alone():
    """The constructor's own evaluate=False, not SymPy's global switch: SymPy's shared
    cache never answers an evaluated call with a node read unevaluated."""
    x, y = sp.symbols("x y")
    loads(pickle.dumps(sp.Mul(3, x + y, evaluate=False)))
    assert sp.Mul(3, x + y) == 3 * x + 3 * y
    loads(pickle.dumps(sp.Add(y, y, evaluate=False)))
    assert sp.Add(y, y) == 2 * y


def test_values_other_than_sympy_read_as_pickle_reads_them():
    value = {"a": [1, 2.5, None], "b": ("x", frozenset({3}))}
    assert loads(pickle.dumps(value)) == value
