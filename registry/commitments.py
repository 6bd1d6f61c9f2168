"""What a new match takes from the proposals: the exchanges that run, and the pairs declined.

Kept apart from :mod:`registry.proposals` so that reading a network's scenario folder
(:func:`registry.services.snapshot`) needs nothing but the tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from models import Issue
from models.commitments import check_commitments
from models.tables import read_frame

from .models import Network, Proposal, Stream

__all__ = ["OPEN", "broken_commitments", "commitments"]

S = Proposal.Status

#: Statuses whose pair is taken: a new publication does not propose it again.
OPEN = (S.PROPOSED, S.IN_DIALOGUE, S.AGREED, S.IMPLEMENTED)


def commitments(network: Network) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``fixed_exchanges.csv`` and ``excluded_pairs.csv`` for a new match of the network.

    Fixed: every implemented exchange whose two streams are current, at its actual quantity a
    year. Excluded: every declined pair not reopened (and not running under a later proposal)
    whose two streams are current.
    """
    directions = dict(
        Stream.objects.filter(network=network, current=True, member__active=True).values_list("stream_id", "direction")
    )
    current = set(directions)
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
        if directions[pair[0]] != "supply" or directions[pair[1]] != "demand":
            continue  # a stream id now used the other way round: the declined pair is no pair any more
        seen.add(pair)
        reason = p.supplier_reason or p.receiver_reason or ""
        excluded.append({"supply_stream": pair[0], "demand_stream": pair[1], "reason": reason or None})
    return fixed, excluded


# ----------------------------------------------------------------------------- new streams against them
#: What :func:`models.commitments.check_commitments` reads of a stream, and what a message tells of it.
_SIDE = ["member_id", "direction", "resource", "base_unit", "quantity_base", "quantity", "unit"]


def broken_commitments(
    network: Network,
    owners: set[str] | None,
    streams: pd.DataFrame,
    rows: Mapping[str, int | None],
    file: str,
    catalog: Any,
) -> list[Issue]:
    """What new streams would break of the network's implemented exchanges (and declined pairs).

    A new match keeps every implemented exchange as a fixed flow (:func:`commitments`): new
    streams that take less than it does, run the other way, change resource or leave would make
    every later match refuse, or drop the exchange without a word. This is the engine's own check
    of a match's fixed exchanges (:func:`models.commitments.check_commitments`) made at once on the
    commitments that touch the new streams, each problem named by the stream's row.

    Parameters
    ----------
    network
        The network (its row locked by the caller, so no other submission moves meanwhile).
    owners
        The members whose streams ``streams`` replace (``None``: every member's, an import).
    streams
        The new streams as the engine validated them, indexed by ``stream_id`` (``member_id``,
        ``direction``, ``resource``, ``base_unit``, ``quantity_base``, ``quantity``, ``unit``).
    rows
        Row of each new stream in the submitted file (``None``: the form's own row).
    file
        The submitted file's label.
    catalog
        The network's catalog.

    Returns
    -------
    list of Issue
        Empty when every commitment still holds.
    """
    if not Proposal.objects.filter(network=network, status__in=(S.IMPLEMENTED, S.DECLINED)).exists():
        return []
    fixed, excluded = commitments(network)
    named = {s for row in (*fixed, *excluded) for s in (row["supply_stream"], row["demand_stream"])}
    now = pd.DataFrame(
        list(
            Stream.objects.filter(network=network, current=True, stream_id__in=sorted(named)).values(
                "stream_id", "member__member_id", *_SIDE[1:]
            )
        ),
        columns=["stream_id", "member__member_id", *_SIDE[1:]],
    ).rename(columns={"member__member_id": "member_id"})
    now = now.set_index("stream_id")[_SIDE]

    def replaced(sid: str) -> bool:
        return owners is None or (sid in now.index and now.at[sid, "member_id"] in owners)

    issues: list[Issue] = []
    kept = []
    for f in fixed:
        sides = [s for s in ("supply_stream", "demand_stream") if replaced(f[s])]
        if not sides:
            continue
        gone = [s for s in sides if f[s] not in streams.index]
        for side in gone:
            template = (
                _(
                    "the stream %(stream)s is missing, but an implemented exchange takes %(quantity)s %(unit)s a year "
                    "from it; keep it, or the facilitator must end that exchange first"
                )
                if side == "supply_stream"
                else _(
                    "the stream %(stream)s is missing, but an implemented exchange delivers %(quantity)s %(unit)s "
                    "a year to it; keep it, or the facilitator must end that exchange first"
                )
            )
            issues.append(
                Issue(
                    file,
                    None,
                    "stream_id",
                    template % {"stream": f[side], "quantity": _amount(f["quantity"]), "unit": f["unit"]},
                )
            )
        if not gone:
            kept.append(f)
    sides = {s for f in kept for s in (f["supply_stream"], f["demand_stream"])}
    excl = [
        e
        for e in excluded
        if (replaced(e["supply_stream"]) or replaced(e["demand_stream"]))
        and all(
            not replaced(e[s]) or (e[s] in streams.index and streams.at[e[s], "direction"] == d)
            for s, d in (("supply_stream", "supply"), ("demand_stream", "demand"))
        )
    ]
    if not kept:
        return issues
    sides |= {s for e in excl for s in (e["supply_stream"], e["demand_stream"])}
    frame = pd.DataFrame(
        [streams.loc[s, _SIDE] if replaced(s) else now.loc[s, _SIDE] for s in sorted(sides)],
        index=pd.Index(sorted(sides), name="stream_id"),
    )
    for column in ("quantity_base", "quantity"):
        frame[column] = frame[column].astype(float)
    tables = {"fixed_exchanges": read_frame(pd.DataFrame(kept), "fixed_exchanges")}
    if excl:
        tables["excluded_pairs"] = read_frame(pd.DataFrame(excl), "excluded_pairs")

    def blamed(f: Mapping[str, Any]) -> str:
        """The new stream that changed the exchange's direction or resource (else its first new side)."""
        mine = [f[s] for s in ("supply_stream", "demand_stream") if replaced(f[s])]
        changed = [
            s
            for s in mine
            if s in now.index
            and tuple(frame.loc[s, ["direction", "resource"]]) != tuple(now.loc[s, ["direction", "resource"]])
        ]
        return (changed or mine)[0]

    def changed_issue(f: Mapping[str, Any]) -> Issue:
        sid = blamed(f)
        before = now.loc[sid] if sid in now.index else frame.loc[sid]
        column = "direction" if frame.at[sid, "direction"] != before["direction"] else "resource"
        return Issue(
            file,
            rows.get(sid),
            column,
            _(
                "an implemented exchange runs on this stream (%(resource)s, %(direction)s); keep its direction and "
                "resource, or the facilitator must end that exchange first"
            )
            % {"resource": before["resource"], "direction": before["direction"]},
        )

    # the engine's check with room enough in every stream: what the exchanges are in the new streams' units
    roomy = frame.assign(quantity_base=np.inf)
    out, _excl, found = check_commitments(tables, roomy, None, catalog)
    if found:
        return issues + [changed_issue(kept[r]) for r in _fixed_rows(found)]
    # then what they take from each stream against what it has (the engine's comparison, to name the stream)
    for column, use, verbs in (
        ("supply_stream", out["quantity_base"], "takes"),
        ("demand_stream", out["quantity_base"] * out["ratio"], "delivers"),
    ):
        totals = use.groupby(out[column].to_numpy()).agg(["sum", "count"])
        for sid, (total, count) in totals.iterrows():
            have = float(frame.at[sid, "quantity_base"])
            if not total > have * (1 + 1e-9) + 1e-9:
                continue
            if not replaced(str(sid)):  # the partner's resource changed its share of this stream
                issues += [changed_issue(f) for f in kept if f[column] == sid]
                continue
            per = float(frame.at[sid, "quantity"]) / have if have > 0 else 1.0
            unit = str(frame.at[sid, "unit"]) if have > 0 else str(frame.at[sid, "base_unit"])
            values = {"quantity": _amount(float(total) * per), "unit": unit, "count": int(count)}
            if verbs == "takes":
                message = (
                    _(
                        "an implemented exchange takes %(quantity)s %(unit)s a year from this stream; submit at least "
                        "that, or the facilitator must end that exchange first"
                    )
                    if count == 1
                    else _(
                        "%(count)s implemented exchanges take %(quantity)s %(unit)s a year from this stream; "
                        "submit at least that, or the facilitator must end those exchanges first"
                    )
                )
            else:
                message = (
                    _(
                        "an implemented exchange delivers %(quantity)s %(unit)s a year to this stream; submit at "
                        "least that, or the facilitator must end that exchange first"
                    )
                    if count == 1
                    else _(
                        "%(count)s implemented exchanges deliver %(quantity)s %(unit)s a year to this stream; "
                        "submit at least that, or the facilitator must end those exchanges first"
                    )
                )
            issues.append(Issue(file, rows.get(str(sid)), "quantity", message % values))
    if issues:
        return issues
    # the engine's own verdict on the streams as they are: anything it still refuses is named too
    _fixed, _excl, found = check_commitments(tables, frame, None, catalog)
    return [changed_issue(kept[r]) for r in _fixed_rows(found)]


def _fixed_rows(issues: list[Issue]) -> list[int]:
    """The rows of the fixed exchanges the engine refused (positions in the table it was given)."""
    return sorted({i.row for i in issues if i.row is not None and "fixed_exchanges" in i.file})


def _amount(value: float) -> str:
    """A yearly amount as the page's language writes it, six significant digits, rounded up (it is a minimum):
    1234.5 is ``1,234.5`` in English and ``1.234,5`` in Danish, 2/3 is ``0.666667``."""
    from decimal import ROUND_CEILING, Decimal

    from django.utils.formats import number_format

    d = Decimal(repr(float(value)))
    if d.is_finite() and d != 0:
        d = d.quantize(Decimal(1).scaleb(d.adjusted() - 5), rounding=ROUND_CEILING).normalize()
    shown = int(d) if d == d.to_integral_value() else float(d)
    return number_format(shown, use_l10n=True, force_grouping=True)
