"""The engine: from a validated network and a scenario to a neutral linear program.

Stages, each entered once and in this order (:func:`matcher.match` calls them):

1. :mod:`~matcher.engine.inputs` resolves every per-stream coefficient;
2. :mod:`~matcher.engine.compatibility` says which supply may feed which demand;
3. :mod:`~matcher.engine.candidates` finds the candidate pairs as arrays;
4. :mod:`~matcher.engine.objective` gives each column its objective components;
5. :mod:`~matcher.engine.formulation` builds the LP block by block.

:mod:`~matcher.engine.graph` views the pairs as a bipartite graph. The engine knows
no solver, no screen and no file format.
"""
