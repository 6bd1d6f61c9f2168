"""Planning tools over many matches: sweeps of parameters, Pareto fronts, resilience.

One calling convention: each takes ``(network, scenario, ...)`` like
:func:`matcher.match` and returns a result object with ``to_frame()``,
``to_dict()`` (the JSON the CLI prints) and ``plot()``.
"""

#: The most points a sweep runs unless ``max_points`` allows more (``symbiose sweep --max-points``); defined here
#: (not in :mod:`~matcher.planning.sweep`) so the command line reads it without importing the sweep.
MAX_POINTS = 10_000
