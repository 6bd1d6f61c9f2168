"""What users do to the registry, each in one transaction: submit streams, import and export networks.

Views, the JSON API and the CLI call these functions; the scoping of every
query is :mod:`registry.scoping`. A submission locks its network's row, so
concurrent writers queue and each accepted change gets its own
``data_version``; the new version's streams and the old version's retirement
commit together or not at all.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from models import DataError, Issue, load
from models import Network as EngineNetwork
from models.files import atomic_folder
from models.readers import read_text
from models.tables import RawTable, read_frame

from . import audit
from .commitments import broken_commitments, commitments
from .intake import check_cells, check_streams, raw_from_json, raw_to_json, read_upload
from .models import Account, Link, Member, Network, Role, Stream, Submission
from .scoping import account_of, require
from .tables import catalog_of, folder_files, frame_of, records_of, scenario_doc

__all__ = [
    "add_network",
    "add_user",
    "current_files",
    "delete_stream",
    "export_folder",
    "import_folder",
    "save_stream",
    "submit",
    "submit_draft",
]

_DERIVED = ("quantity_base", "base_unit", "category")


class Forbidden(PermissionError):
    """The user's role may not do this (403)."""


# ----------------------------------------------------------------------------- networks and users
def add_network(slug: str, name: str, currency: str) -> Network:
    """A new, empty network.

    Raises
    ------
    DataError
        If the slug is taken or not a slug, or the currency has no exchange rate in the catalog.
    """
    issues = []
    if not slug or not all(c.isascii() and (c.isalnum() or c in "-_") for c in slug) or len(slug) > 50:
        issues.append(
            Issue(
                "network",
                None,
                "slug",
                _("%(slug)s is not a slug (letters a-z, digits, - and _)") % {"slug": repr(slug)},
            )
        )
    elif Network.objects.filter(slug=slug).exists():
        issues.append(Issue("network", None, "slug", _("a network %(slug)s exists") % {"slug": repr(slug)}))
    from models import Catalog

    if currency not in Catalog.builtin().currencies:
        known = ", ".join(Catalog.builtin().currencies)
        issues.append(
            Issue(
                "network",
                None,
                "currency",
                _("%(currency)s has no exchange rate (known: %(known)s)")
                % {"currency": repr(currency), "known": known},
            )
        )
    if not name.strip():
        issues.append(Issue("network", None, "name", _("give the network a name")))
    if issues:
        raise DataError(issues)
    return Network.objects.create(slug=slug, name=name.strip(), currency=currency)


def add_user(email: str, network_slug: str, role: str, password: str, member_id: str | None = None) -> Any:
    """A user of one network with a role (a company user names its member).

    Raises
    ------
    DataError
        If the e-mail is taken, the network or member unknown, the role wrong or the password too weak.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = email.strip().lower()
    issues: list[Issue] = []
    try:
        validate_email(email)
    except ValidationError:
        issues.append(Issue("user", None, "email", _("%(email)s is not an e-mail address") % {"email": repr(email)}))
    User = get_user_model()
    if User.objects.filter(username=email).exists():
        issues.append(Issue("user", None, "email", _("a user %(email)s exists") % {"email": repr(email)}))
    network = Network.objects.filter(slug=network_slug).first()
    if network is None:
        issues.append(Issue("user", None, "network", _("no network %(slug)s") % {"slug": repr(network_slug)}))
    if role not in Role.values:
        issues.append(
            Issue(
                "user",
                None,
                "role",
                _("%(role)s is not one of %(roles)s") % {"role": repr(role), "roles": ", ".join(Role.values)},
            )
        )
    member = None
    if role == Role.MEMBER:
        if not member_id:
            issues.append(Issue("user", None, "member", _("a company user names its member (--member)")))
        elif network is not None:
            member = Member.objects.filter(network=network, member_id=member_id, active=True).first()
            if member is None:
                issues.append(
                    Issue(
                        "user",
                        None,
                        "member",
                        _("no member %(member)s in %(network)s") % {"member": repr(member_id), "network": network_slug},
                    )
                )
    elif member_id:
        issues.append(Issue("user", None, "member", _("only company users (role member) name a member")))
    try:
        validate_password(password, User(username=email, email=email))
    except ValidationError as exc:
        issues += [Issue("user", None, "password", str(m)) for m in exc.messages]
    if issues:
        raise DataError(issues)
    with transaction.atomic():
        user = User.objects.create_user(username=email, email=email, password=password)
        Account.objects.create(user=user, network=network, role=role, member=member)
    return user


# ----------------------------------------------------------------------------- submissions
def _member_for(user: Any, network: Network, member_id: str | None) -> Member:
    account = require(user, "submit")
    if account.network_id != network.pk:
        raise Forbidden(_("Not found."))
    if account.role == Role.MEMBER:
        assert account.member is not None
        return account.member
    found = Member.objects.for_user(user, network).filter(member_id=member_id or "", active=True).first()
    if found is None:
        raise DataError(
            [
                Issue(
                    "submission",
                    None,
                    "member_id",
                    _("name the member to submit for; no member %(member)s") % {"member": repr(member_id)},
                )
            ]
        )
    return found


def submit(
    user: Any,
    network: Network,
    name: str,
    data: bytes,
    member_id: str | None = None,
    draft: bool = False,
    request: HttpRequest | None = None,
) -> Submission:
    """Replace a member's streams by an uploaded file (CSV or XLSX), as its next version; or keep a draft.

    A company user submits for its own member; a facilitator names the member (``member_id``).
    A draft is read (within the limits) but not validated, and changes nothing.

    Raises
    ------
    DataError
        Every mistake in the file, with file, row and column; nothing is stored.
    PermissionDenied
        If the user's role may not submit.
    """
    member = _member_for(user, network, member_id)
    raw = read_upload(name, data)
    if draft:
        with transaction.atomic():
            sub = Submission.objects.create(
                network=network,
                member=member,
                state=Submission.State.DRAFT,
                file_name=raw.file,
                raw=raw_to_json(raw),
                streams_count=len(raw.frame),
                created_by=user,
            )
            audit.record("draft", user, request, member=member.member_id, file=raw.file, rows=len(raw.frame))
        return sub
    return _accept(user, network, member, raw, request)


def submit_draft(user: Any, network: Network, draft_id: int, request: HttpRequest | None = None) -> Submission:
    """Validate a kept draft and accept it as the member's next version.

    Raises
    ------
    DataError
        Every mistake in the draft; nothing is stored.
    Http404
        If the user may not see such a draft.
    """
    from django.http import Http404

    draft = (
        Submission.objects.for_user(user, network)
        .filter(pk=draft_id, state=Submission.State.DRAFT)
        .select_related("member")
        .first()
    )
    if draft is None or draft.raw is None:
        raise Http404(_("Not found."))
    require(user, "submit")
    sub = _accept(user, network, draft.member, raw_from_json(draft.raw), request)
    Submission.objects.filter(pk=draft.pk).delete()
    return sub


def _accept(user: Any, network: Network, member: Member, raw: RawTable, request: HttpRequest | None) -> Submission:
    checked = check_streams(raw, member, catalog_of(network))
    taken = set(
        Stream.objects.filter(network=network, current=True, stream_id__in=list(checked.streams.index))
        .exclude(member=member)
        .values_list("stream_id", flat=True)
    )
    if taken:
        rows = dict(zip(raw.frame["stream_id"].astype(str).str.strip(), raw.rows)) if "stream_id" in raw.frame else {}
        raise DataError(
            [
                Issue(
                    raw.file,
                    int(rows.get(s, 0)) or None,
                    "stream_id",
                    _("stream id %(stream)s is taken in this network; choose another") % {"stream": repr(s)},
                )
                for s in sorted(taken)
            ]
        )
    return _store(user, network, member, checked, raw.file, request, _rows_of(raw))


def _rows_of(raw: RawTable) -> dict[str, int | None]:
    """Each stream id's row in the submitted table."""
    if "stream_id" not in raw.frame:
        return {}
    return {s: int(r) for s, r in zip(raw.frame["stream_id"].astype(str).str.strip(), raw.rows)}


def _store(
    user: Any,
    network: Network,
    member: Member,
    checked: EngineNetwork,
    file_name: str,
    request: HttpRequest | None,
    positions: dict[str, int | None],
) -> Submission:
    """Store validated streams as the member's next version, in one transaction.

    Under the network's lock the new streams are checked against the network's implemented
    exchanges and declined pairs (:func:`registry.commitments.broken_commitments`): streams that
    would make the next match refuse, or drop a running exchange, are refused with the row
    (``positions``: stream id -> row) and column of each.

    Raises
    ------
    DataError
        If the new streams break an implemented exchange; nothing is stored.
    """
    frame = checked.to_frames()["streams"]
    derived = checked.streams.reindex(frame["stream_id"])[list(_DERIVED)].reset_index(drop=True)
    rows = records_of(frame)
    with transaction.atomic():
        locked = Network.objects.select_for_update().get(pk=network.pk)
        broken = broken_commitments(
            locked, {member.member_id}, checked.streams, positions, file_name, catalog_of(locked)
        )
        if broken:
            raise DataError(broken)
        last = Submission.objects.filter(member=member, state=Submission.State.ACCEPTED).order_by("-version").first()
        version = (last.version or 0) + 1 if last else 1
        locked.data_version += 1
        locked.save(update_fields=["data_version"])
        Submission.objects.filter(member=member, current=True).update(current=False)
        Stream.objects.filter(member=member, current=True).update(current=False)
        sub = Submission.objects.create(
            network=network,
            member=member,
            state=Submission.State.ACCEPTED,
            version=version,
            current=True,
            data_version=locked.data_version,
            file_name=file_name[:200],
            streams_count=len(rows),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        Stream.objects.bulk_create(
            Stream(
                network=network,
                member=member,
                submission=sub,
                stream_id=row["stream_id"],
                direction=row["direction"],
                resource=row["resource"],
                quantity=float(row["quantity"]),
                unit=row["unit"],
                quantity_base=float(derived.at[i, "quantity_base"]),
                base_unit=str(derived.at[i, "base_unit"]),
                category=str(derived.at[i, "category"]),
                data=row,
                position=i,
            )
            for i, row in enumerate(rows)
        )
        _fault_pause()
        audit.record(
            "submission",
            user,
            request,
            member=member.member_id,
            version=version,
            streams=len(rows),
            file=file_name,
            data_version=locked.data_version,
        )
    network.data_version = locked.data_version
    return sub


def _fault_pause() -> None:
    """Test hook: with ``SYMBIOSE_FAULT_PAUSE_IN_SUBMISSION=SECONDS`` a submission waits, written but not
    committed, so a test can kill the server at exactly that point (tests/registry/test_concurrency.py)."""
    pause = os.environ.get("SYMBIOSE_FAULT_PAUSE_IN_SUBMISSION")
    if pause:
        sys.stderr.write("fault: submission written, not committed\n")
        sys.stderr.flush()
        time.sleep(float(pause))


def current_rows(member: Member) -> list[dict[str, Any]]:
    """The member's current streams as rows of streams.csv."""
    return [s.data for s in Stream.objects.filter(member=member, current=True).order_by("position")]


def save_stream(
    user: Any,
    network: Network,
    row: Mapping[str, Any],
    replaces: str | None = None,
    member_id: str | None = None,
    request: HttpRequest | None = None,
) -> Submission:
    """Add one stream, or replace the stream ``replaces``, as the member's next version (the web form).

    Raises
    ------
    DataError
        Every problem of the new version; the issues of the edited row have row ``None``
        and name the field, so a form can show them beside it.
    """
    member = _member_for(user, network, member_id)
    rows = [r for r in current_rows(member) if r["stream_id"] != replaces]
    edited = {k: v for k, v in row.items() if v not in (None, "")}
    edited["member_id"] = member.member_id
    frame = frame_of([*rows, edited], "streams")
    raw = read_frame(frame, "streams")
    raw = RawTable(raw.frame, raw.rows, "form")
    try:
        checked = check_streams(raw, member, catalog_of(network))
    except DataError as exc:
        last = len(rows)
        raise DataError(
            [Issue("form", None, i.column, i.message) if i.row == last else i for i in exc.issues]
        ) from None
    taken = Stream.objects.filter(network=network, current=True, stream_id=edited.get("stream_id")).exclude(
        member=member
    )
    if taken.exists():
        raise DataError(
            [Issue("form", None, "stream_id", _("this stream id is taken in this network; choose another"))]
        )
    positions: dict[str, int | None] = {r["stream_id"]: i for i, r in enumerate(rows)}
    positions[str(edited.get("stream_id", "")).strip()] = None  # the form's own row: the message goes beside its field
    return _store(user, network, member, checked, "form", request, positions)


def delete_stream(
    user: Any, network: Network, stream_id: str, member_id: str | None = None, request: HttpRequest | None = None
) -> Submission:
    """The member's next version without one stream.

    Raises
    ------
    DataError
        If it was the member's last stream (a version has at least one; submit a new file instead).
    """
    member = _member_for(user, network, member_id)
    rows = [r for r in current_rows(member) if r["stream_id"] != stream_id]
    if not rows:
        raise DataError([Issue("form", None, "", _("a member keeps at least one stream; submit new ones first"))])
    raw = read_frame(frame_of(rows, "streams"), "streams")
    checked = check_streams(RawTable(raw.frame, raw.rows, "form"), member, catalog_of(network))
    return _store(user, network, member, checked, "form", request, {r["stream_id"]: i for i, r in enumerate(rows)})


# ----------------------------------------------------------------------------- import and export
def snapshot(network: Network, parameters: Mapping[str, Any] | None = None) -> tuple[int, dict[str, str]]:
    """The network's data version and its scenario folder (file name -> text), read consistently.

    The network's row is locked while the tables are read, so no submission commits half-way
    through the read. Exchanges implemented and pairs declined go with it as
    ``fixed_exchanges.csv`` and ``excluded_pairs.csv`` (:func:`registry.commitments.commitments`).
    """
    with transaction.atomic():
        locked = Network.objects.select_for_update().get(pk=network.pk)
        members = frame_of(
            (
                {"member_id": m["member_id"], "name": m["name"], **m["data"]}
                for m in Member.objects.filter(network=locked, active=True)
                .order_by("position", "member_id")
                .values("member_id", "name", "data")
            ),
            "members",
        )
        streams = frame_of(
            Stream.objects.filter(network=locked, current=True, member__active=True)
            .order_by("member__position", "member__member_id", "position")
            .values_list("data", flat=True),
            "streams",
        )
        links = frame_of(
            Link.objects.filter(network=locked).order_by("position").values_list("data", flat=True), "links"
        )
        fixed, excluded = commitments(locked)
        extra = {
            "fixed_exchanges": pd.DataFrame(
                fixed, columns=["supply_stream", "demand_stream", "quantity", "unit", "note"]
            ),
            "excluded_pairs": pd.DataFrame(excluded, columns=["supply_stream", "demand_stream", "reason"]),
        }
        files = folder_files(scenario_doc(locked, parameters), members, streams, links, locked.resources, extra)
        return locked.data_version, files


def current_files(network: Network) -> dict[str, str]:
    """The network's scenario folder as it stands."""
    return snapshot(network)[1]


def export_folder(user: Any, network: Network, folder: str | Path, request: HttpRequest | None = None) -> list[Path]:
    """Write the network as a scenario folder (``symbiose match FOLDER`` gives the registry's match).

    The folder is written whole or not at all, and may hold only the files it writes.
    """
    require(user, "import_export") if user is not None else None
    version, files = snapshot(network)
    folder = Path(folder)

    def write(tmp: Path) -> list[Path]:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        return [tmp / name for name in files]

    written = atomic_folder(folder, write, owns=lambda name: name in files)
    with transaction.atomic():
        audit.record("export", user, request, network_id=network.pk, folder=str(folder), data_version=version)
    return written


def import_folder(
    user: Any, network: Network, folder: str | Path, request: HttpRequest | None = None, label: str | None = None
) -> int:
    """Replace the network's members, streams, links and scenario by a scenario folder, all or nothing.

    Members missing from the folder are kept inactive (their users and history stay); each
    member's streams become its next version. ``label`` names the folder in the audit log and
    the versions (default: the folder's path; an upload names its file).

    Returns
    -------
    int
        The network's new data version.

    Raises
    ------
    DataError
        Every problem of the folder (nothing is changed), or a currency other than the network's.
    """
    scenario, engine = load(folder)
    if engine.seasons.active:  # the registry keeps streams for the year; nothing of a folder is dropped silently
        named = [key for key, frame in engine.seasons.frames().items() if len(frame)]
        raise DataError(
            [
                Issue(
                    "scenario.yaml",
                    None,
                    key,
                    _(
                        "the registry does not keep periods, profiles, storage or processes; "
                        "import a folder without %(table)s"
                    )
                    % {"table": key},
                )
                for key in named
            ]
        )
    if scenario.currency != network.currency:
        raise DataError(
            [
                Issue(
                    "scenario.yaml",
                    None,
                    "currency",
                    _("%(currency)s differs from the network's %(own)s")
                    % {"currency": scenario.currency, "own": network.currency},
                )
            ]
        )
    resources = []
    for i, name in enumerate(scenario.resources):
        text = read_text(scenario.path(name), 1024 * 1024, name, "catalog files")
        base = Path(name).name
        resources.append(
            {"name": base if all(r["name"] != base for r in resources) else f"{i:02d}-{base}", "text": text}
        )
    frames = engine.to_frames()
    too_long = [
        issue
        for table in ("members", "streams", "links")
        for issue in check_cells(frames[table], np.arange(len(frames[table])) + 2, table)
    ]
    if too_long:
        raise DataError(too_long)
    members_rows = records_of(frames["members"])
    streams = engine.streams
    stream_rows = records_of(frames["streams"])
    link_rows = records_of(frames["links"])
    by_member: dict[str, list[int]] = {}
    for i, row in enumerate(stream_rows):
        by_member.setdefault(row["member_id"], []).append(i)
    with transaction.atomic():
        locked = Network.objects.select_for_update().get(pk=network.pk)
        # the folder replaces every member's streams: it may not break an implemented exchange either
        streams_file = Path(scenario.streams or "streams.csv").name
        broken = broken_commitments(locked, None, streams, {}, streams_file, engine.catalog)
        if broken:  # named again with the rows of the streams file
            rows = _file_rows(scenario)
            raise DataError(broken_commitments(locked, None, streams, rows, streams_file, engine.catalog))
        locked.scenario = {
            k: v for k, v in scenario.model_dump(mode="json", include={"parameters", "catalog"}).items() if v
        }
        locked.description = scenario.description or ""
        locked.resources = resources
        locked.data_version += 1
        locked.save()
        existing = {m.member_id: m for m in Member.objects.filter(network=locked)}
        keep = set()
        for position, row in enumerate(members_rows):
            data = {k: v for k, v in row.items() if k not in ("member_id", "name")}
            m = existing.get(row["member_id"])
            if m is None:
                m = Member.objects.create(
                    network=locked, member_id=row["member_id"], name=row["name"], data=data, position=position
                )
                existing[m.member_id] = m
            else:
                Member.objects.filter(pk=m.pk).update(name=row["name"], data=data, active=True, position=position)
            keep.add(m.member_id)
        Member.objects.filter(network=locked).exclude(member_id__in=keep).update(active=False)
        Submission.objects.filter(network=locked, current=True).update(current=False)
        Stream.objects.filter(network=locked, current=True).update(current=False)
        Link.objects.filter(network=locked).delete()
        Link.objects.bulk_create(Link(network=locked, data=row, position=i) for i, row in enumerate(link_rows))
        versions = {
            mid: v or 0
            for mid, v in Submission.objects.filter(network=locked, state=Submission.State.ACCEPTED)
            .values_list("member__member_id", "version")
            .order_by("version")
        }
        subs = {}
        for mid, positions in by_member.items():
            subs[mid] = Submission.objects.create(
                network=locked,
                member=existing[mid],
                state=Submission.State.ACCEPTED,
                version=versions.get(mid, 0) + 1,
                current=True,
                data_version=locked.data_version,
                file_name=f"import {label or Path(folder).name}"[:200],
                streams_count=len(positions),
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
        Stream.objects.bulk_create(
            Stream(
                network=locked,
                member=existing[row["member_id"]],
                submission=subs[row["member_id"]],
                stream_id=row["stream_id"],
                direction=row["direction"],
                resource=row["resource"],
                quantity=float(row["quantity"]),
                unit=row["unit"],
                quantity_base=float(streams.at[row["stream_id"], "quantity_base"]),
                base_unit=str(streams.at[row["stream_id"], "base_unit"]),
                category=str(streams.at[row["stream_id"], "category"]),
                data=row,
                position=i,
            )
            for i, row in enumerate(stream_rows)
        )
        audit.record(
            "import",
            user,
            request,
            network_id=locked.pk,
            folder=label or str(folder),
            members=len(members_rows),
            streams=len(stream_rows),
            data_version=locked.data_version,
        )
    network.refresh_from_db()
    return locked.data_version


def _file_rows(scenario: Any) -> dict[str, int | None]:
    """Each stream id's row in a scenario's streams file (CSV; none for other kinds of files)."""
    from models.tables import read_csv

    if not scenario.streams or Path(scenario.streams).suffix.lower() not in (".csv", ".txt"):
        return {}
    try:
        return _rows_of(read_csv(scenario.path(scenario.streams)))
    except DataError:
        return {}


def engine_frames(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of streams.csv as a frame (for tests and the form)."""
    return frame_of(rows, "streams")


__all__ += ["Forbidden", "account_of", "snapshot"]
