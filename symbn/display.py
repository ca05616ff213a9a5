"""Readable ``str()``, a short ``repr()`` and Jupyter's rich display for symbn's results.

A result class (a verdict, an identity, a derivation, a kernel, a verify report...) mixes in
:class:`Displayable` and names its document builder::

    class Verdict(Displayable, document="verdict"): ...

or, when its module may import the report (it sits above it), builds its own titled
:class:`~symbn.report.document.Section` in a method ``document()`` and names none.

Every form is rendered from one document tree (:mod:`symbn.report.display` builds it with
:mod:`symbn.report.document` and renders it with the report's own renderers), so ``str()``,
the notebook's HTML, Markdown and LaTeX show the same facts, worded once.

Why a mixin that imports the report when first used, rather than a method per class: the
report sits above every module whose results it shows (core -> bn/prove -> kernels ->
identities/verify -> report), so these modules must not import it when they load; one
mixin keeps that late import, and the five display methods, in one place instead of a
copy in each class.
"""

from __future__ import annotations

from typing import Any


class Displayable:
    """``str()`` is the result as plain text, ``repr()`` one line, and ``_repr_html_``,
    ``_repr_markdown_``, ``_repr_latex_`` are what Jupyter shows (HTML in the notebook,
    LaTeX in nbconvert's PDF export); IPython's plain-text display is the full text."""

    #: the name of the builder in symbn.report.display.BUILDERS
    _document_kind: str = ""

    def __init_subclass__(cls, document: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if document:
            cls._document_kind = document

    def _render(self, form: str) -> str:
        from symbn.report import display  # late: the report sits above this class's module

        return display.render(self, form)

    def __str__(self) -> str:
        return self._render("text")

    def __repr__(self) -> str:
        return self._render("repr")

    def _repr_html_(self) -> str:
        return self._render("html")

    def _repr_markdown_(self) -> str:
        return self._render("markdown")

    def _repr_latex_(self) -> str:
        return self._render("latex")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain-text display (a terminal): the readable text, not the one line."""
        printer.text(repr(self) if cycle else str(self))


def drawing(expr: Any) -> str:
    """SymPy's 2-D pretty printer in unicode, as one block: SymPy's own line wrapping is
    off (it would cut the 2-D layout at 80 columns)."""
    from sympy import pretty

    return str(pretty(expr, use_unicode=True, wrap_line=False))
