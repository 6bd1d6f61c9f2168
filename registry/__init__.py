"""The symbiose registry: where the members of a network keep their data.

A Django project and app on top of :mod:`models` and :mod:`matcher` (they never
import it): networks, members, versioned stream submissions, match runs stored
with the data version they used, an audit log, web pages for company users,
facilitators and planners, and a JSON API under ``/api/v1``.

Importing this package imports no Django; :func:`registry.boot.setup` configures
and starts it (``symbiose serve`` and ``symbiose registry`` call it).
"""

__all__: list[str] = []
