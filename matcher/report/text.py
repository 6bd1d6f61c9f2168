"""Terminal text: aligned tables of a match, a comparison, a sweep, a front, resilience and prices.

Text from members' data reaches a terminal here: control characters (escape
sequences that move the cursor, retitle the window or hide a link) and
bidirectional overrides are shown as visible escapes (:func:`terminal_safe`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from ..results.numbers import format_number

if TYPE_CHECKING:  # annotations only: a match's text never imports the planning tools
    from ..planning.pareto import ParetoFront
    from ..planning.resilience import Resilience
    from ..planning.sweep import Sweep
    from ..results.comparison import Comparison
    from ..results.prices import TransferPrices
    from ..results.result import MatchResult

__all__ = [
    "terminal_safe",
    "match_text",
    "comparison_text",
    "pareto_text",
    "prices_text",
    "resilience_text",
    "sweep_text",
    "table",
]


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    r"""Text with control characters and direction overrides shown as escapes; line breaks kept.

    >>> terminal_safe("ok\x1b[2J\nnext\u202e")
    'ok\\x1b[2J\nnext\\u202e'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def table(frame: pd.DataFrame, right: tuple[str, ...] = ()) -> str:
    """Text columns left-aligned, the ``right`` columns right-aligned (control characters escaped)."""
    text = {c: [terminal_safe(str(v)).replace("\n", " ") for v in frame[c]] for c in frame.columns}
    widths = {c: max([len(terminal_safe(str(c)))] + [len(v) for v in text[c]]) for c in frame.columns}

    def cell(c: str, v: object) -> str:
        v = terminal_safe(str(v)).replace("\n", " ")
        return v.rjust(widths[c]) if c in right else v.ljust(widths[c])

    header = "  ".join(cell(c, c) for c in frame.columns)
    body = ["  ".join(cell(c, v) for c, v in zip(frame.columns, row)) for row in frame.itertuples(index=False)]
    return "\n".join(line.rstrip() for line in [header, *body])


def _estimates_line(result: MatchResult) -> list[str]:
    """How much of the saving rests on estimates, and where the factors are."""
    if "savings_on_estimates" not in result.kpis:
        return []
    est = float(result.kpis["savings_on_estimates"])
    share = f" ({100 * est / result.savings:.0f} %)" if result.savings else ""
    return [
        f"of which {format_number(est)} {result.currency}{share} rest on factors marked as estimates; "
        f"every factor with its source and year: --json (factors) or --xlsx"
    ]


def match_text(result: MatchResult) -> str:
    """A readable terminal report of a match."""
    cur = result.currency
    lines = [f"{result.scenario.name}: {result.status.value} ({result.solver} {result.solver_version})"]
    if not result.status.has_solution:
        lines.append(result.message)
        return terminal_safe("\n".join(lines))
    pct = 100 * result.savings / result.baseline_cost if result.baseline_cost else float("nan")
    lines += [
        f"Total cost {format_number(result.objective)} {cur}; "
        f"without exchanges {format_number(result.baseline_cost)} {cur}; "
        f"saving {format_number(result.savings)} {cur} ({pct:.1f} %)",
        *_estimates_line(result),
        "",
        f"Exchanges ({len(result.exchanges)})",
    ]
    names = result.network.members["name"]
    ex = result.exchanges
    if len(ex):
        t = pd.DataFrame(
            {
                "from": ex["from_member"] + " " + ex["from_member"].map(names).str.slice(0, 22),
                "to": ex["to_member"] + " " + ex["to_member"].map(names).str.slice(0, 22),
                "resource": ex["resource"],
                "quantity": ex["quantity"].map(format_number) + " " + ex["unit"],
                "km": ex["distance_km"].map("{:.1f}".format),
                f"saving {cur}": ex["saving"].map(format_number),
            }
        )
        if "period" in ex.columns:
            t.insert(0, "period", ex["period"].astype(str))
        if "implemented" in ex.columns and ex["implemented"].any():  # fixed exchanges: running, kept as they are
            t.insert(0, "", ex["implemented"].map({True: "running", False: ""}))
        lines.append(table(t, right=("quantity", "km", f"saving {cur}")))
    lines += _chain_lines(result)
    lines += ["", "Key figures"]
    kt = result.kpi_table
    kt = pd.DataFrame(
        {
            "figure": kt["kpi"],
            "value": kt["value"].map(format_number),
            "unit": kt["unit"],
            "SDG target": kt["sdg_target"],
        }
    )
    lines.append(table(kt, right=("value",)))
    un = result.unmatched
    if len(un):
        lines += ["", f"Left unmatched or partly matched ({len(un)})"]
        t = pd.DataFrame(
            {
                "stream": un.index,
                "resource": un["resource"],
                "left": un["left"].map(format_number) + " " + un["unit"],
                "why": un["reason"],
            }
        )
        lines.append(table(t, right=("left",)))
    return terminal_safe("\n".join(lines))


def _chain_lines(result: MatchResult) -> list[str]:
    """Stores' level, charge and discharge and processes' throughput by period (seasonal results)."""
    lines: list[str] = []
    if result.storage is not None and len(result.storage):
        sto = result.storage
        lines += ["", "Storage by period (level after the period)"]
        lines.append(
            table(
                pd.DataFrame(
                    {
                        "store": sto["storage_id"],
                        "period": sto["period"].astype(str),
                        **{c: sto[c].map(format_number) + " " + sto["unit"] for c in ("level", "charge", "discharge")},
                    }
                ),
                right=("level", "charge", "discharge"),
            )
        )
    if result.processes is not None and len(result.processes):
        pro = result.processes
        lines += ["", "Processes by period"]
        lines.append(
            table(
                pd.DataFrame(
                    {
                        "process": pro["process_id"],
                        "period": pro["period"].astype(str),
                        "throughput": pro["throughput"].map(format_number) + " " + pro["unit"],
                        f"cost {result.currency}": pro["cost"].map(format_number),
                    }
                ),
                right=("throughput", f"cost {result.currency}"),
            )
        )
    return lines


def comparison_text(comparison: Comparison) -> str:
    """KPIs of each scenario with differences to the first, and the count of exchanges that changed."""
    k = comparison.kpis
    t = pd.DataFrame({"figure": k.index})
    for col in k.columns:
        t[col] = [format_number(v) if "%" not in col else (f"{v:+.1f}" if pd.notna(v) else "–") for v in k[col]]
    counts = comparison.exchanges["change"].value_counts()
    return terminal_safe(
        table(t, right=tuple(k.columns))
        + f"\n\nExchanges against {comparison.names[0]}: "
        + ", ".join(f"{counts.get(c, 0)} {c}" for c in ("added", "removed", "changed", "same"))
    )


def pareto_text(front: ParetoFront) -> str:
    """The points of a front."""
    p, x, y = front.points, front.x, front.y
    return table(p.assign(**{c: p[c].map(format_number) for c in (x, y, "bound")}), right=(x, y, "bound"))


def resilience_text(res: Resilience) -> str:
    """Members (and exchanges) ranked by the saving lost without them."""
    m = res.members
    lines = [f"{res.title}: saving {format_number(res.base_savings)} {res.currency}; without each member:"]
    view = m.assign(
        savings_without=m["savings_without"].map(format_number),
        savings_lost=m["savings_lost"].map(format_number),
        share_pct=m["share_pct"].map("{:.1f}".format),
    )[["member_id", "name", "savings_lost", "share_pct", "savings_without", "status"]]
    lines.append(table(view, right=("savings_lost", "share_pct", "savings_without")))
    ex = res.exchanges
    if ex is not None and len(ex):
        lines += ["", "Without each exchange:"]
        lines.append(
            table(
                ex.assign(
                    savings_lost=ex["savings_lost"].map(format_number),
                    savings_without=ex["savings_without"].map(format_number),
                ),
                right=("savings_lost", "savings_without"),
            )
        )
    return terminal_safe("\n".join(lines))


def prices_text(prices: TransferPrices) -> str:
    """Transfer prices and shares per exchange."""
    tp = prices.exchanges
    cols = ["transfer_price", "transfer_payment", "saving", "supplier_share", "receiver_share"]
    view = tp.assign(**{c: tp[c].map(format_number) for c in cols})
    known = tp["price_receiver_optimal"].notna() & tp["price_supplier_optimal"].notna()
    view["range"] = (
        tp["price_receiver_optimal"].map(format_number) + " .. " + tp["price_supplier_optimal"].map(format_number)
    ).where(known, "–")
    first = ["period"] if "period" in view.columns else []  # seasonal: a price per exchange and period
    view = view[[*first, "from_member", "to_member", "resource", "transfer_price", "range", *cols[1:]]]
    return (
        f"Transfer prices in {prices.currency} per unit of supply, paid by the receiver to the supplier "
        f"({prices.basis}):\n" + table(view, right=("transfer_price", "range", *cols[1:]))
    )


def sweep_text(result: Sweep) -> str:
    """One line per run: the parameters, status, savings, CO2e avoided, exchanges, message."""
    names = result.parameters
    view = result.runs[[*names, "status", "savings", "co2e_avoided_t", "exchanges", "message"]].copy()
    for c in ("savings", "co2e_avoided_t", "exchanges"):
        view[c] = view[c].map(format_number)
    return table(view, right=(*names, "savings", "co2e_avoided_t", "exchanges"))
