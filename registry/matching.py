"""Match runs: solve the network as it stands, keep the run, and show each role what it may see.

A run solves the scenario folder that :func:`registry.services.snapshot` reads
(the same files ``registry export`` writes), so ``symbiose match`` on an export
gives the stored document; the folder is kept with the run, which can be solved
again at any time. A run after members' submissions is re-solved warm from the
previous run's model where only streams changed (:mod:`registry.warm`); the run
records which way it was solved in its ``timings``. A facilitator sees the whole
``match --json`` document; a company user only the exchanges of its own member,
the other side withheld; a planner anonymised KPIs (two significant figures).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from models import DataError, Issue
from models.scenario import Parameters

from . import audit, warm
from .models import MatchRun, Network
from .scoping import Role, account_of, require
from .services import snapshot

__all__ = ["report_html", "run_match", "solve_files", "view_of"]

#: Keys of an exchange that name its two sides.
_SIDES = {"from_member": "supply_stream", "to_member": "demand_stream"}


def check_parameters(parameters: Any) -> dict[str, Any]:
    """Scenario parameters given with a match request, checked like a scenario file's.

    Raises
    ------
    DataError
        Naming each wrong key (``parameters.carbon_price``...).
    """
    from pydantic import ValidationError

    from models.errors import pydantic_message

    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise DataError([Issue("request", None, "parameters", _("expected an object of scenario parameters"))])
    try:
        Parameters.model_validate(parameters)
    except ValidationError as exc:
        raise DataError(
            [
                Issue("request", None, ".".join(["parameters", *map(str, e["loc"])]), pydantic_message(e))
                for e in exc.errors()
            ]
        ) from None
    return dict(parameters)


def solve_files(files: Mapping[str, str]) -> Any:
    """Match a scenario folder given as file name -> text; the :class:`~matcher.MatchResult`."""
    from matcher.api import run

    with tempfile.TemporaryDirectory(prefix="symbiose-run-") as folder:
        for name, text in files.items():
            (Path(folder) / name).write_text(text, encoding="utf-8")
        return run(folder)


def run_match(user: Any, network: Network, parameters: Any = None, request: HttpRequest | None = None) -> MatchRun:
    """Match the network's current data (with ``parameters`` over its own) and keep the run.

    Raises
    ------
    PermissionDenied
        Unless the user is the network's facilitator.
    DataError
        If the parameters are wrong or the data cannot be matched (no streams yet...).
    """
    require(user, "run_match")
    params = check_parameters(parameters)
    version, files = snapshot(network, params)
    began = time.perf_counter()
    doc, timings = warm.solve(network.pk, version, files)
    seconds = time.perf_counter() - began
    with transaction.atomic():
        run = MatchRun.objects.create(
            network=network,
            data_version=version,
            parameters=params,
            inputs=dict(files),
            result=doc,
            status=doc["status"],
            seconds=seconds,
            timings=timings,
            created_by=user,
        )
        audit.record(
            "match",
            user,
            request,
            run=run.pk,
            data_version=version,
            status=doc["status"],
            seconds=round(seconds, 3),
            path=timings["path"],
        )
    return run


def view_of(user: Any, run: MatchRun) -> dict[str, Any]:
    """What of a run the user's role may see (the run itself must come from ``for_user``)."""
    account = account_of(user)
    base = {"id": run.pk, "version": run.data_version}
    if account is None:
        return {}
    if account.role == Role.FACILITATOR:
        return {**base, "parameters": run.parameters, "result": run.result}
    doc = run.result
    if account.role == Role.PLANNER:
        return {**base, **anonymised(doc)}
    own = account.member.member_id if account.member else ""
    return {**base, **own_view(doc, own)}


def own_view(doc: Mapping[str, Any], member_id: str) -> dict[str, Any]:
    """The exchanges and streams of one member, the other side of each exchange withheld.

    Each exchange's factor ids name no stream but the member's own and no link (a link names
    both members): those become ``<kind>:stream/withheld`` and ``<kind>:link/withheld``; the
    factors the member's exchanges rest on come with them, the withheld ones without their rows.

    >>> doc = {"status": "optimal", "currency": "DKK", "exchanges": [
    ...     {"supply_stream": "S1", "demand_stream": "D1", "from_member": "A", "to_member": "B", "saving": 5.0},
    ...     {"supply_stream": "S2", "demand_stream": "D2", "from_member": "C", "to_member": "D", "saving": 1.0}],
    ...     "members": [{"member_id": "A", "saving": 2.5}, {"member_id": "B", "saving": 2.5}],
    ...     "unmatched": [], "disposals": [], "virgin_purchases": []}
    >>> own_view(doc, "A")["exchanges"]
    [{'supply_stream': 'S1', 'demand_stream': None, 'from_member': 'A', 'to_member': None, 'saving': 5.0}]
    """
    exchanges = []
    for ex in doc.get("exchanges", []):
        sides = [side for side in _SIDES if ex.get(side) == member_id]
        if not sides:
            continue
        shown = dict(ex)
        for side, stream in _SIDES.items():
            if side not in sides:
                shown[side] = None
                shown[stream] = None
        exchanges.append(shown)
    mine = {s for ex in exchanges for s in (ex["supply_stream"], ex["demand_stream"]) if s}
    unmatched = [u for u in doc.get("unmatched", []) if u.get("member_id") == member_id]
    mine |= {u["stream_id"] for u in unmatched}
    for ex in exchanges:
        for key in ("saving_factors", "co2e_factors"):
            if isinstance(ex.get(key), list):
                ex[key] = [_own_factor(str(i), mine) for i in ex[key]]
    used = {i for ex in exchanges for key in ("saving_factors", "co2e_factors") for i in ex.get(key) or []}
    return {
        "status": doc.get("status"),
        "currency": doc.get("currency"),
        "member": next((m for m in doc.get("members", []) if m.get("member_id") == member_id), None),
        "exchanges": exchanges,
        "unmatched": unmatched,
        "disposals": [d for d in doc.get("disposals", []) if d.get("stream_id") in mine],
        "virgin_purchases": [d for d in doc.get("virgin_purchases", []) if d.get("stream_id") in mine],
        "factors": [f for f in doc.get("factors", []) if f.get("id") in used],
    }


def _own_factor(fid: str, mine: set[str]) -> str:
    """A factor id as a member sees it: another member's stream, or any link, withheld.

    >>> _own_factor("virgin_cost:stream/D7", {"S1"}), _own_factor("disposal_cost:stream/S1", {"S1"})
    ('virgin_cost:stream/withheld', 'disposal_cost:stream/S1')
    >>> _own_factor("fixed_cost:link/A/B", set()), _own_factor("virgin_cost:gypsum", set())
    ('fixed_cost:link/withheld', 'virgin_cost:gypsum')
    """
    kind, _, subject = fid.partition(":")
    if subject.startswith("stream/") and subject.removeprefix("stream/") not in mine:
        return f"{kind}:stream/withheld"
    if subject.startswith("link/"):
        return f"{kind}:link/withheld"
    return fid


def anonymised(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A run's KPIs and totals, rounded to two significant figures, naming no member or stream."""
    from matcher.report.anonymise import round_one

    def r(v: Any) -> Any:
        return round_one(float(v)) if isinstance(v, int | float) and not isinstance(v, bool) else v

    return {
        "status": doc.get("status"),
        "currency": doc.get("currency"),
        "objective": r(doc.get("objective")),
        "baseline_cost": r(doc.get("baseline_cost")),
        "savings": r(doc.get("savings")),
        "kpis": {k: r(v) for k, v in (doc.get("kpis") or {}).items()},
    }


def report_html(run: MatchRun, anonymise: bool = False) -> str:
    """The HTML report of a run (matcher.report), solved again from the run's own folder.

    The facilitator's report is kept with the run after the first view; an anonymised one is
    made anew each time (fresh pseudonyms, as ``symbiose report --anonymise``).
    """
    from matcher.report.html import render_report

    if not anonymise and run.report_html:
        return run.report_html
    result = solve_files(run.inputs)
    html = render_report(result, anonymise=anonymise)
    if not anonymise:
        MatchRun.objects.filter(pk=run.pk).update(report_html=html)
    return html
