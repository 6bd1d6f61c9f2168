"""Planning tools over many matches: sweeps of parameters, Pareto fronts, resilience.

One calling convention: each takes ``(network, scenario, ...)`` like
:func:`matcher.match` and returns a result object with ``to_frame()``,
``to_dict()`` (the JSON the CLI prints) and ``plot()``.
"""
