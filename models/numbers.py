"""The numbers intake accepts: finite, below :data:`~models.limits.MAX_ABS_NUMBER`, never a yes/no.

One rule for every number a user gives, applied in two places that share
these definitions:

* :data:`Number`, the pydantic type of every numeric field of the row models,
  the scenario parameters and the catalog factors (a YAML ``yes`` or a JSON
  ``true`` is not read as 1);
* :func:`too_large`, the vectorised form :mod:`models.validate` applies to
  every numeric column of the tables.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from . import limits

__all__ = ["Number", "check_number", "limit_text", "too_large"]


def limit_text() -> str:
    """The number limit as written in messages: ``1e15``."""
    mantissa, exponent = f"{limits.MAX_ABS_NUMBER:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def _not_yes_no(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        raise PydanticCustomError("number_not_bool", "expected a number, not yes/no (true/false)")
    return value


def check_number(value: float) -> float:
    """``value`` if it is finite and below the limit in absolute value, else a pydantic error.

    >>> check_number(2.5)
    2.5
    """
    if not math.isfinite(value):
        raise PydanticCustomError("number_not_finite", "expected a finite number, got {value}", {"value": value})
    if abs(value) >= limits.MAX_ABS_NUMBER:
        raise PydanticCustomError(
            "number_too_large",
            "must be below {limit} in absolute value, got {value}",
            {"limit": limit_text(), "value": value},
        )
    return value


#: A float that is finite, below :data:`~models.limits.MAX_ABS_NUMBER` in absolute value, and not a bool.
Number = Annotated[float, BeforeValidator(_not_yes_no), AfterValidator(check_number)]


def too_large(values: pd.Series) -> pd.Series:
    """Mask of the values at or above the limit in absolute value (NaN is not flagged)."""
    big = np.abs(values.to_numpy(dtype=float, na_value=np.nan)) >= limits.MAX_ABS_NUMBER  # NaN compares False
    return pd.Series(big, index=values.index, name=values.name)
