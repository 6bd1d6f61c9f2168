"""The errors symbiose raises on purpose, and what each means for a user.

Every class derives from :class:`models.SymbioseError`; the CLI turns each into
a message and an exit code in one table (:data:`matcher.cli.EXIT_CODES`):
bad input data 1, usage 2, no solution 3.

>>> from matcher import match
>>> import models, scenarios
>>> scenario, network = models.load(scenarios.path("hillerod"))
>>> match(network, scenario, solver="gurobi-by-magic")
Traceback (most recent call last):
...
matcher.errors.UnknownSolver: unknown solver 'gurobi-by-magic'; available: cbc, highs
"""

from __future__ import annotations

from models.errors import DataError, SymbioseError

__all__ = [
    "DataError",
    "InvalidOption",
    "NoSolution",
    "NotSolved",
    "RenderFailed",
    "SymbioseError",
    "UnknownId",
    "UnknownSolver",
    "Unsupported",
]


class InvalidOption(SymbioseError, ValueError):
    """An option of a call is not one of those allowed (a method, an objective, a grid)."""


class UnknownSolver(InvalidOption):
    """No backend of that name is installed here."""


class Unsupported(InvalidOption):
    """The backend or the model cannot do what was asked (pricing on a model with side rows, a MILP warm start)."""


class UnknownId(SymbioseError, KeyError):
    """A stream or member id that is not in the network."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NoSolution(SymbioseError):
    """The solver found no solution (infeasible, unbounded, time limit without one, solver error).

    Attributes
    ----------
    status : str
        The :class:`~matcher.solve.base.Status` value.
    """

    def __init__(self, status: str, message: str) -> None:
        self.status = status
        super().__init__(message)


class RenderFailed(SymbioseError):
    """A static image could not be rendered (kaleido drives Chromium, which may be missing or fail to start)."""


class NotSolved(SymbioseError, RuntimeError):
    """A model was asked for its solution before it was solved (or after a change, before re-solving)."""
