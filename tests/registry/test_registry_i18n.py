"""Pages and messages in English, Danish, Swedish and Norwegian (Bokmål).

The catalogs are checked against the source (every marked string has a translation in every
language, the compiled .mo files say what the .po files say, placeholders are kept), and pages are
read as a Danish, Swedish or Norwegian browser, or a user who chose a language, sees them.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, World
from test_registry_pages import signed_in

import registry

LANGS = ("da", "sv", "nb")
REGISTRY = Path(registry.__file__).parent
N = "/n/hillerod"
_MARKERS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def _po(lang: str) -> list[dict[str, Any]]:
    """The entries of a language's django.po: context, msgid, plural, msgstr(s), flags."""
    text = (REGISTRY / "locale" / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, list[str]] = {}
        flags: list[str] = []
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [f.strip() for f in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[key].append(ast.literal_eval(line))
            else:
                key, _, rest = line.partition(" ")
                fields[key] = [ast.literal_eval(rest)]
        entry = {k: "".join(v) for k, v in fields.items()}
        entry["flags"] = flags
        entries.append(entry)
    return entries


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", text))


def _marked_in_python() -> set[tuple[str | None, str]]:
    found = set()
    for path in REGISTRY.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _MARKERS):
                continue
            args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            assert args, f"{path.name}:{node.lineno}: a translated string must be a literal"
            found.add((args[0], args[1]) if node.func.id.startswith("p") else (None, args[0]))
    return found


def _marked_in_templates() -> set[tuple[str | None, str]]:
    from django.utils.translation.template import templatize

    literal = r"u'(?:[^'\\]|\\.)*'"
    found = set()
    for path in (REGISTRY / "templates").rglob("*.html"):
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for name, args in re.findall(rf"\b(n?p?gettext)\(((?:\s*{literal}\s*,?)+)", code):
            values = [ast.literal_eval(s[1:]) for s in re.findall(literal, args)]
            found.add((values[0], values[1]) if "p" in name.removeprefix("n")[:1] else (None, values[0]))
    return found


def test_the_source_marks_strings_in_every_file_kind(django_ready: None) -> None:
    python, templates = _marked_in_python(), _marked_in_templates()
    assert (None, "Wrong e-mail or password.") in python and ("audit action", "export") in python
    assert (None, "Upload a filled-in template") in templates
    assert (None, "%(n)s mistake; nothing was stored.") in templates


@pytest.mark.parametrize("lang", LANGS)
def test_every_msgid_has_a_translation(django_ready: None, lang: str) -> None:
    entries = [e for e in _po(lang) if e.get("msgid")]
    catalog = {(e.get("msgctxt"), e["msgid"]) for e in entries}
    missing = (_marked_in_python() | _marked_in_templates()) - catalog
    assert not missing, f"marked in the source but not in {lang}/django.po (run makemessages): {sorted(missing)}"
    with (REGISTRY / "locale" / lang / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for e in entries:
        where = f"{lang}: {e['msgid']!r}"
        assert "fuzzy" not in e["flags"], where
        strings = [v for k, v in e.items() if k.startswith("msgstr")]
        assert strings and all(s.strip() for s in strings), f"{where} has no translation"
        for s in strings:
            assert _placeholders(s) == _placeholders(e["msgid"]), f"{where}: placeholders differ in {s!r}"
        # the .mo file is compiled from this .po (msgfmt -o django.mo django.po)
        if "msgid_plural" in e:
            got = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
            assert got == [e["msgstr[0]"], e["msgstr[1]"]], f"{where}: the .mo file is stale"
        elif "msgctxt" in e:
            assert compiled.pgettext(e["msgctxt"], e["msgid"]) == e["msgstr"], f"{where}: the .mo file is stale"
        else:
            assert compiled.gettext(e["msgid"]) == e["msgstr"], f"{where}: the .mo file is stale"


def test_the_danish_page_shows_danish_labels_and_decimal_commas(db: World) -> None:
    from registry.models import Stream

    s = Stream.objects.get(network__slug="hillerod", stream_id="S11", current=True)
    Stream.objects.filter(pk=s.pk).update(quantity=1234.5, quantity_base=1234.5)
    c = signed_in(db, "member")
    html = c.get(f"{N}/stream/S11/", HTTP_ACCEPT_LANGUAGE="da-DK,da;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="da">' in html
    assert "<th>Mængde</th>" in html and "Pr. år (basisenhed)" in html and "Log ud" in html
    assert "1.234,500 t" in html and "1.234,50 t" in html  # decimal comma, full stop between thousands
    english = c.get(f"{N}/stream/S11/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<th>Quantity</th>" in english and "1,234.500 t" in english and "1,234.50 t" in english
    # dates as Danes write them: 4. december 2026 20:15
    history = c.get(f"{N}/history/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert re.search(
        r"<td>\d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december) \d{4}",
        history,
    )


@pytest.mark.parametrize(
    ("lang", "label", "decimal"),
    [("sv", "<th>Mängd</th>", "1\xa0234,500 t"), ("nb", "<th>Mengde</th>", "1\xa0234,500 t")],
)
def test_swedish_and_norwegian_pages(db: World, lang: str, label: str, decimal: str) -> None:
    from registry.models import Stream

    Stream.objects.filter(network__slug="hillerod", stream_id="S11", current=True).update(quantity=1234.5)
    html = signed_in(db, "member").get(f"{N}/stream/S11/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f'<html lang="{lang}">' in html and label in html and decimal in html


def test_a_users_choice_outranks_the_browser_and_is_kept(db: World) -> None:
    from django.test import Client

    from registry.models import Account

    c = Client()
    assert c.post("/login/", {"email": db.emails["member"], "password": PASSWORD}).status_code == 302
    response = c.post("/language/", {"language": "sv", "next": f"{N}/streams/"})
    assert response.status_code == 302 and response["Location"] == f"{N}/streams/"
    assert response.cookies["django_language"]["httponly"]
    html = c.get(f"{N}/streams/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert '<html lang="sv">' in html and "<h1>Flöden</h1>" in html
    assert Account.objects.get(user__username=db.emails["member"]).language == "sv"
    # a new browser (no cookie) of the same user gets the user's language after logging in
    fresh = Client()
    fresh.post("/login/", {"email": db.emails["member"], "password": PASSWORD})
    assert '<html lang="sv">' in fresh.get(f"{N}/streams/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    # an unknown language changes nothing
    assert c.post("/language/", {"language": "xx"}).status_code == 302
    assert '<html lang="sv">' in c.get(f"{N}/streams/").content.decode()


def test_error_messages_are_translated(client: Any, db: World) -> None:
    from conftest import bearer
    from django.core.files.uploadedfile import SimpleUploadedFile

    other = b"stream_id,member_id,direction,resource,quantity,unit\nS11,M02,supply,wood_waste,5,t\n"
    response = client.post(
        "/api/v1/networks/hillerod/submissions",
        {"file": SimpleUploadedFile("s.csv", other)},
        HTTP_ACCEPT_LANGUAGE="da",
        **bearer(db, "member"),
    )
    assert response.status_code == 422
    assert any("er ikke jeres medlems-id; brug 'M09'" in e["message"] for e in response.json()["errors"])
    missing = client.get("/api/v1/networks/hillerod/streams/S01", HTTP_ACCEPT_LANGUAGE="nb", **bearer(db, "member"))
    assert missing.status_code == 404 and missing.json() == {"error": "ikke funnet"}
    refused = client.get("/api/v1/networks/hillerod/streams", HTTP_ACCEPT_LANGUAGE="sv", **bearer(db, "planner"))
    assert refused.status_code == 403 and refused.json() == {
        "error": "Din roll ser bara nätverkets sammanställda siffror."
    }
    page = signed_in(db, "member").get(f"{N}/audit/", HTTP_ACCEPT_LANGUAGE="da")
    assert page.status_code == 403 and "Din rolle må ikke åbne denne side." in page.content.decode()
    from django.test import Client

    login = Client().post(
        "/login/", {"email": db.emails["planner"], "password": "wrong-one"}, HTTP_ACCEPT_LANGUAGE="da"
    )
    assert login.status_code == 401 and "Forkert e-mail eller adgangskode." in login.content.decode()


MISTAKES = (
    "stream_id,member_id,direction,resource,quantity,unit,disposal_cost,hazardous,ewc_code,max_distance_km\n"
    "S1,M09,supply,wood_waste,lots,t,,,,\n"
    "S2,M09,supply,wood_waste,5,parsecs,,,,\n"
    "S3,M09,supply,crushed_concrete,5,MWh,,,,\n"
    "S4,M09,sideways,wood_waste,5,t,,,,\n"
    "S5,M09,supply,wood_wast,5,t,,,,\n"
    "S5,M09,supply,wood_waste,5,t,,,,\n"
    "S7,M09,supply,wood_waste,-5,t,,,,\n"
    "S8,M09,supply,wood_waste,5,t,abc,,,\n"
    "S9,M09,supply,wood_waste,5,t,,maybe,,\n"
    "S10,M09,supply,wood_waste,5,t,,,99 99 99,\n"
    "S11,M09,supply,wood_waste,5,t,,,,-3\n"
    "S12,M09,supply,wood_waste,,t,,,,\n"
    "S13,M09,supply,wood_waste,1e20,t,,,,\n"
    "S14,M09,supply,wood_waste,5,xyzzy,,,,\n"
    "S15,M09,supply,wood_waste,5,,,,,\n"
    "S16,M02,supply,wood_waste,5,t,,,,\n"
)
FILE_MISTAKES = {
    "empty.csv": b"",
    "binary.csv": b"\x00\x01binary",
    "header.csv": b"stream_id,member_id,direction,resource,quantity,unit\n",
    "columns.csv": b"stream_id,member_id\nS1,M09\n",
    "quote.csv": b'stream_id,member_id,direction,resource,quantity,unit\nS1,M09,"supply,wood_waste,5,t\n',
    "cells.csv": b"stream_id,member_id,direction,resource,quantity,unit\nS1,M09,supply,wood_waste,5,t,9,9\n",
    "old.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
}


def _issues(name: str, data: bytes, lang: str) -> list[Any]:
    from django.utils import translation

    from models import DataError
    from registry.intake import check_streams, read_upload
    from registry.messages import translated_issues
    from registry.models import Member, Network
    from registry.tables import catalog_of

    network = Network.objects.get(slug="hillerod")
    member = Member.objects.get(network=network, member_id="M09")
    with translation.override(lang):
        try:
            check_streams(read_upload(name, data), member, catalog_of(network))
        except DataError as exc:
            return translated_issues(exc)
    raise AssertionError(f"{name} was accepted")


def test_the_engines_mistakes_come_back_in_danish(db: World) -> None:
    cases = {"mistakes.csv": MISTAKES.encode(), **FILE_MISTAKES}
    kinds = 0
    for name, data in cases.items():
        english, danish = _issues(name, data, "en"), _issues(name, data, "da")
        assert [(i.row, i.column) for i in english] == [(i.row, i.column) for i in danish]
        for en, da in zip(english, danish):
            assert da.message != en.message, f"{name} row {en.row} {en.column}: {en.message!r} has no Danish pattern"
            kinds += 1
    assert kinds >= 20
    danish = {(i.row, i.column): i.message for i in _issues("mistakes.csv", MISTAKES.encode(), "da")}
    assert danish[(2, "quantity")] == "forventede et tal, fik 'lots'"
    assert danish[(6, "resource")].startswith("'wood_wast' er ikke en ressource i kataloget; mente du 'wood_waste'")
    assert danish[(4, "unit")].startswith("enheden 'MWh' måler energi; denne ressource måles i t (masse)")


def test_the_api_lists_mistakes_in_the_callers_language(client: Any, db: World) -> None:
    from conftest import bearer
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = b"stream_id,member_id,direction,resource,quantity,unit\nS11,M09,supply,wood_waste,lots,t\n"
    for lang, text in (("sv", "förväntade ett tal, fick 'lots'"), ("nb", "forventet et tall, fikk 'lots'")):
        response = client.post(
            "/api/v1/networks/hillerod/submissions",
            {"file": SimpleUploadedFile("s.csv", bad)},
            HTTP_ACCEPT_LANGUAGE=lang,
            **bearer(db, "member"),
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [{"file": "s.csv", "row": 2, "column": "quantity", "message": text}]
