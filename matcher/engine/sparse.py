"""A model's constraint matrix kept as triplets until a scipy matrix is asked for.

Importing :mod:`scipy.sparse` costs about as much as a small match itself (it pulls scipy's
array-API layer and with it parts of numpy that a match never uses). HiGHS takes a column-wise
matrix as three arrays, which numpy gives straight from the triplets (:meth:`Triplets.csc_arrays`),
so a model that is only built and solved never imports scipy; any other use (products, slices,
transposes, PuLP, the dual face) builds the scipy matrix once and works on it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["NUMPY_UP_TO", "Triplets", "csc_arrays"]

#: Entries up to which :meth:`Triplets.csc_arrays` sorts in numpy rather than importing scipy.
NUMPY_UP_TO = 200_000


class Triplets:
    """A sparse matrix given by ``(row, column, value)`` entries (repeated entries add up).

    Parameters
    ----------
    rows, cols : ndarray of int
    vals : ndarray of float
    shape : (int, int)

    Examples
    --------
    >>> m = Triplets(np.array([0, 1, 0]), np.array([1, 0, 1]), np.array([1.0, 2.0, 3.0]), (2, 2))
    >>> [a.tolist() for a in m.csc_arrays()]
    [[0, 1, 2], [1, 0], [2.0, 4.0]]
    >>> (m @ np.ones(2)).tolist(), m.toarray().tolist()
    ([4.0, 2.0], [[0.0, 4.0], [2.0, 0.0]])
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]) -> None:
        self._rows = np.asarray(rows, dtype=np.int64)
        self._cols = np.asarray(cols, dtype=np.int64)
        self._vals = np.asarray(vals, dtype=float)
        self._shape = (int(shape[0]), int(shape[1]))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self._shape

    def csc_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column starts, row indices (sorted within each column) and values, repeated entries summed.

        Up to :data:`NUMPY_UP_TO` entries by a sort in numpy; a larger matrix through scipy's
        linear-time conversion (the import is then small beside the model).
        """
        if len(self._vals) > NUMPY_UP_TO:
            return csc_arrays(self.matrix)
        n_rows, n_cols = self._shape
        key = self._cols * max(n_rows, 1) + self._rows
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, dtype=np.int64)
        unique = key[starts]
        values = self._vals[order] if len(starts) == len(key) else np.add.reduceat(self._vals[order], starts)
        cols, rows = np.divmod(unique, max(n_rows, 1))
        start = np.zeros(n_cols + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=n_cols), out=start[1:])
        return start, rows, values

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """The same matrix as a scipy CSR matrix (built, and scipy imported, on first use)."""
        import scipy.sparse as sp

        return sp.csr_matrix((self._vals, (self._rows, self._cols)), shape=self._shape)

    def __getattr__(self, name: str) -> Any:  # everything else scipy's matrix offers
        if name.startswith("_"):  # not delegated (copying and pickling look these up first)
            raise AttributeError(name)
        return getattr(self.matrix, name)

    def __matmul__(self, other: Any) -> Any:
        return self.matrix @ other

    def __rmatmul__(self, other: Any) -> Any:
        return other @ self.matrix

    def __getitem__(self, key: Any) -> Any:
        return self.matrix[key]


def csc_arrays(matrix: Triplets | sp.spmatrix | sp.sparray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column starts, row indices and values of a matrix, triplets or scipy's."""
    if isinstance(matrix, Triplets):
        return matrix.csc_arrays()
    csc = matrix.tocsc()
    csc.sum_duplicates()
    csc.sort_indices()
    return csc.indptr, csc.indices, csc.data
