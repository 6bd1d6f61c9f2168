"""A facilitator imports a scenario folder from the web: a zip file, unpacked safely, imported all or nothing.

Through the API (``POST /api/v1/networks/{slug}/imports``) and the page (``/n/{slug}/import/``), as every
role, another network's facilitator and anonymous; hostile archives (``..``, absolute paths, links, devices,
too many entries, a zip bomb, a scenario naming files outside the folder) and a broken table change nothing.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import World, bearer, counts
from test_registry_pages import signed_in

import scenarios

BASE = "/api/v1/networks/hillerod"


def folder_files(name: str, **changed: bytes) -> dict[str, bytes]:
    """The files of a bundled scenario folder (no sub-folders), some replaced."""
    folder = Path(scenarios.path(name))
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.suffix != ".png"}
    return {**files, **changed}


def zip_of(files: dict[str, bytes], prefix: str = "", links: dict[str, int] | None = None) -> bytes:
    """A zip archive of ``files`` (under ``prefix``); ``links``: extra entries with these file modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
        for name, mode in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # unix: the mode is in the high bits
            info.external_attr = mode << 16
            archive.writestr(info, b"/etc/passwd")
    return buffer.getvalue()


def post_zip(
    client: Any, world: World, role: str | None, data: bytes, slug: str = "hillerod", name: str = "f.zip"
) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, data, content_type="application/zip")
    return client.post(f"/api/v1/networks/{slug}/imports", {"file": upload}, **bearer(world, role))


def _quantity(stream_id: str, slug: str = "hillerod") -> float:
    from registry.models import Stream

    return Stream.objects.get(network__slug=slug, stream_id=stream_id, current=True).quantity


# ------------------------------------------------------------------------------------------ the happy paths
def test_a_zip_of_a_scenario_folder_is_imported_as_the_next_version(client: Any, db: World) -> None:
    from registry.models import AuditEvent, Network, Submission

    text = folder_files("hillerod")["streams.csv"].decode("utf-8-sig")
    changed = text.replace("S11;M09;supply;wood_waste;5000;t", "S11;M09;supply;wood_waste;4321;t")
    assert changed != text
    before = Network.objects.get(slug="hillerod").data_version
    response = post_zip(
        client, db, "facilitator", zip_of(folder_files("hillerod", **{"streams.csv": changed.encode()}))
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"version": before + 1}
    assert _quantity("S11") == 4321.0
    event = AuditEvent.objects.filter(action="import").order_by("-id").first()
    assert event.detail["folder"] == "f.zip (upload)" and event.user.username == db.emails["facilitator"]
    sub = Submission.objects.filter(network__slug="hillerod", current=True, member__member_id="M09").get()
    assert sub.file_name == "import f.zip (upload)" and sub.data_version == before + 1


def test_kalundborg_in_a_folder_of_the_zip_with_its_resources_file(client: Any, db: World) -> None:
    from registry.models import Network

    before = Network.objects.get(slug="kalundborg").data_version
    data = zip_of(folder_files("kalundborg"), prefix="kalundborg/")
    response = post_zip(client, db, "other_facilitator", data, slug="kalundborg", name="kalundborg.zip")
    assert response.status_code == 201, response.content
    assert response.json() == {"version": before + 1}
    assert [r["name"] for r in Network.objects.get(slug="kalundborg").resources] == ["resources.yaml"]


def test_the_export_page_zip_imports_back_unchanged(client: Any, db: World) -> None:
    from registry import services
    from registry.models import Network

    browser = signed_in(db, "facilitator")
    exported = browser.get("/n/hillerod/export/").content
    files = services.current_files(Network.objects.get(slug="hillerod"))
    response = post_zip(client, db, "facilitator", exported, name="hillerod-v1.zip")
    assert response.status_code == 201, response.content
    assert services.current_files(Network.objects.get(slug="hillerod")) == files


def test_the_page_imports_and_lists_every_mistake(db: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    browser = signed_in(db, "facilitator")
    page = browser.get("/n/hillerod/import/")
    assert page.status_code == 200 and 'type="file"' in page.content.decode()
    assert "/n/hillerod/import/" in browser.get("/n/hillerod/members/").content.decode()
    text = folder_files("hillerod")["streams.csv"].decode("utf-8-sig").replace(";5000;t;", ";lots;t;", 1)
    before = counts()
    bad = browser.post(
        "/n/hillerod/import/",
        {"file": SimpleUploadedFile("bad.zip", zip_of(folder_files("hillerod", **{"streams.csv": text.encode()})))},
    )
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'class="issue"' in html and "streams.csv" in html and "quantity" in html and "lots" in html
    assert counts() == before
    good = browser.post(
        "/n/hillerod/import/", {"file": SimpleUploadedFile("good.zip", zip_of(folder_files("hillerod")))}
    )
    assert good.status_code == 302 and good["Location"].endswith("/n/hillerod/members/")


# ------------------------------------------------------------------------------------------ who may
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("member", 403),
        ("member2", 403),
        ("planner", 403),
        ("other_facilitator", 404),
        ("other_member", 404),
        (None, 401),
    ],
)
def test_only_the_networks_facilitator_imports(client: Any, db: World, role: str | None, status: int) -> None:
    before = counts()
    response = post_zip(client, db, role, zip_of(folder_files("hillerod")))
    assert response.status_code == status
    assert counts() == before
    page = {"member": 403, "member2": 403, "planner": 403, "other_facilitator": 404, "other_member": 404, None: 302}
    from django.core.files.uploadedfile import SimpleUploadedFile

    browser = signed_in(db, role)
    assert browser.get("/n/hillerod/import/").status_code == page[role]
    posted = browser.post(
        "/n/hillerod/import/", {"file": SimpleUploadedFile("f.zip", zip_of(folder_files("hillerod")))}
    )
    assert posted.status_code == page[role]
    assert counts() == before


def test_another_networks_facilitator_sees_nothing_and_a_get_is_refused(client: Any, db: World) -> None:
    assert (
        post_zip(client, db, "other_facilitator", zip_of(folder_files("hillerod"))).content
        == client.get("/api/v1/networks/no-such-network/members", **bearer(db, "other_facilitator")).content
    )
    assert client.get(f"{BASE}/imports", **bearer(db, "facilitator")).status_code == 405
    missing = client.post(f"{BASE}/imports", {}, **bearer(db, "facilitator"))
    assert missing.status_code == 422 and missing.json()["errors"][0]["column"] == "file"


# ------------------------------------------------------------------------------------------ hostile archives
def _refused(client: Any, world: World, data: bytes, name: str = "evil.zip") -> list[dict[str, Any]]:
    before = counts()
    response = post_zip(client, world, "facilitator", data, name=name)
    assert response.status_code == 422, response.content
    assert counts() == before
    errors = response.json()["errors"]
    assert errors and all(set(e) == {"file", "row", "column", "message"} for e in errors)
    return errors


def test_entries_that_leave_the_folder_are_refused(client: Any, db: World, tmp_path: Path) -> None:
    import tempfile

    for evil in ("../evil", "a/../../evil", "/tmp/evil", "C:/evil", "..\\evil"):
        errors = _refused(client, db, zip_of({**folder_files("hillerod"), evil: b"owned"}))
        assert [e["file"] for e in errors] == ["evil.zip"], evil
        assert "evil" in errors[0]["message"]
    assert not (Path(tempfile.gettempdir()) / "evil").exists()


@pytest.mark.parametrize(
    ("kind", "mode"), [("link", stat.S_IFLNK | 0o777), ("fifo", stat.S_IFIFO | 0o644), ("device", stat.S_IFCHR | 0o644)]
)
def test_links_and_special_files_are_refused(client: Any, db: World, kind: str, mode: int) -> None:
    errors = _refused(client, db, zip_of(folder_files("hillerod"), links={"streams2.csv": mode}))
    assert "streams2.csv" in errors[0]["message"]
    assert ("symbolic link" if kind == "link" else "not a regular file") in errors[0]["message"]


def test_too_many_entries_are_refused(client: Any, db: World) -> None:
    from registry.folders import MAX_ENTRIES

    files = {**folder_files("hillerod"), **{f"extra/{i}.txt": b"x" for i in range(MAX_ENTRIES)}}
    errors = _refused(client, db, zip_of(files))
    assert "entries" in errors[0]["message"]


def test_a_zip_bomb_is_refused(client: Any, db: World) -> None:
    from django.test import override_settings

    bomb = zip_of({**folder_files("hillerod"), "zeros.csv": b"0" * 3_000_000})
    assert len(bomb) < 50_000
    with override_settings(MAX_UPLOAD_BYTES=1_000_000):
        errors = _refused(client, db, bomb)
    assert "unpacks to more than" in errors[0]["message"]


def test_a_zip_bomb_that_lies_about_its_size_is_stopped_as_it_unpacks(tmp_path: Path, db: World) -> None:
    from django.test import override_settings

    from models import DataError
    from registry.folders import unpack

    bomb = bytearray(zip_of({"zeros.csv": b"0" * 3_000_000}))
    # the local header and the central directory both claim 100 bytes
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = bomb.find(signature)
        bomb[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
    with override_settings(MAX_UPLOAD_BYTES=1_000_000), pytest.raises(DataError):
        unpack(bytes(bomb), tmp_path, "bomb.zip")
    assert sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) <= 1_000_000


def test_not_a_zip_or_an_encrypted_or_doubled_entry_is_refused(client: Any, db: World) -> None:
    assert "not a zip file" in _refused(client, db, b"member_id,name\nM1,x\n")[0]["message"]
    assert _refused(client, db, zip_of(folder_files("hillerod")), name="folder.csv")[0]["file"] == "folder.csv"
    doubled = io.BytesIO()
    with zipfile.ZipFile(doubled, "w") as archive:
        for name, data in folder_files("hillerod").items():
            archive.writestr(name, data)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            archive.writestr("streams.csv", b"stream_id\n")
    assert "twice" in _refused(client, db, doubled.getvalue())[0]["message"]


@pytest.mark.parametrize("outside", ["/etc/passwd", "../../../../etc/passwd", "../outside.csv"])
def test_a_scenario_naming_a_file_outside_the_folder_is_refused(client: Any, db: World, outside: str) -> None:
    yaml_text = (
        folder_files("hillerod")["scenario.yaml"].decode().replace("streams: streams.csv", f"streams: {outside}")
    )
    errors = _refused(client, db, zip_of(folder_files("hillerod", **{"scenario.yaml": yaml_text.encode()})))
    assert [(e["file"], e["row"], e["column"]) for e in errors] == [("scenario.yaml", None, "streams")]
    extends = _refused(client, db, zip_of({"scenario.yaml": f"name: x\nextends: {outside}\n".encode()}))
    assert [(e["file"], e["column"]) for e in extends] == [("scenario.yaml", "extends")]


def test_a_broken_table_names_file_row_and_column_and_changes_nothing(client: Any, db: World) -> None:
    text = folder_files("hillerod")["streams.csv"].decode("utf-8-sig")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("S11;")) + 1
    lines[row - 1] = lines[row - 1].replace(";5000;", ";lots;")
    errors = _refused(client, db, zip_of(folder_files("hillerod", **{"streams.csv": "\n".join(lines).encode()})))
    assert [(e["file"], e["row"], e["column"]) for e in errors] == [("streams.csv", row, "quantity")]
    assert "/tmp" not in str(errors) and "symbiose-import" not in str(errors)
    assert _quantity("S11") == 5000.0
    # a folder with no tables: named without the server's folders
    empty = _refused(client, db, zip_of({"notes.txt": b"nothing here"}))
    assert "symbiose-import" not in str(empty)


@pytest.mark.parametrize("key", ["periods", "profiles", "storage", "processes", "process_flows", "fixed_exchanges"])
def test_every_table_key_naming_a_file_outside_the_folder_is_refused(client: Any, db: World, key: str) -> None:
    """The optional tables (seasons, commitments) are files a scenario names too: none may leave the folder."""
    files = folder_files("hillerod")
    yaml_text = files["scenario.yaml"].decode() + f"\n{key}: /etc/passwd\n"
    errors = _refused(client, db, zip_of(folder_files("hillerod", **{"scenario.yaml": yaml_text.encode()})))
    assert [(e["file"], e["row"], e["column"]) for e in errors] == [("scenario.yaml", None, key)]
    assert "root:" not in str(errors)
