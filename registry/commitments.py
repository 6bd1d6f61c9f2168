"""What a new match takes from the proposals: the exchanges that run, and the pairs declined.

Kept apart from :mod:`registry.proposals` so that reading a network's scenario folder
(:func:`registry.services.snapshot`) needs nothing but the tables.
"""

from __future__ import annotations

from typing import Any

from .models import Network, Proposal, Stream

__all__ = ["OPEN", "commitments"]

S = Proposal.Status

#: Statuses whose pair is taken: a new publication does not propose it again.
OPEN = (S.PROPOSED, S.IN_DIALOGUE, S.AGREED, S.IMPLEMENTED)


def commitments(network: Network) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``fixed_exchanges.csv`` and ``excluded_pairs.csv`` for a new match of the network.

    Fixed: every implemented exchange whose two streams are current, at its actual quantity a
    year. Excluded: every declined pair not reopened (and not running under a later proposal)
    whose two streams are current.
    """
    current = set(
        Stream.objects.filter(network=network, current=True, member__active=True).values_list("stream_id", flat=True)
    )
    fixed = []
    running: set[tuple[str, str]] = set()
    for p in Proposal.objects.filter(network=network, status=S.IMPLEMENTED).order_by("id"):
        pair = (p.supply_stream, p.demand_stream)
        if pair[0] in current and pair[1] in current and pair not in running and p.actual_quantity:
            fixed.append(
                {
                    "supply_stream": pair[0],
                    "demand_stream": pair[1],
                    "quantity": float(p.actual_quantity),
                    "unit": p.unit,
                    "note": f"proposal {p.pk}",
                }
            )
            running.add(pair)
    open_pairs = set(
        Proposal.objects.filter(network=network, status__in=OPEN).values_list("supply_stream", "demand_stream")
    )
    excluded = []
    seen: set[tuple[str, str]] = set()
    for p in Proposal.objects.filter(network=network, status=S.DECLINED, reopened=False).order_by("id"):
        pair = (p.supply_stream, p.demand_stream)
        if pair in seen or pair in open_pairs or pair[0] not in current or pair[1] not in current:
            continue
        seen.add(pair)
        reason = p.supplier_reason or p.receiver_reason or ""
        excluded.append({"supply_stream": pair[0], "demand_stream": pair[1], "reason": reason or None})
    return fixed, excluded
