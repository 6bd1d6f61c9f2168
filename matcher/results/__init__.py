"""Results: a solution read back as exchanges, member savings, KPIs and reasons; comparisons; transfer prices.

Nothing here solves or draws: :mod:`~matcher.results.result` reads a
:class:`~matcher.solve.base.Solution` once the status says one exists,
:mod:`~matcher.results.comparison` sets results side by side and
:mod:`~matcher.results.prices` splits each exchange's saving.
"""
