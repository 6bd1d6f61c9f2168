"""``symbiose registry`` and ``symbiose serve`` from the command line, and engine commands without Django."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import scenarios

SYMBIOSE = str(Path(sys.executable).with_name("symbiose"))


def cli(*args: str, db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SYMBIOSE_DATABASE_URL"}
    return subprocess.run(
        [SYMBIOSE, "registry", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_registry_commands_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert cli("migrate", db=db).returncode == 0 and db.exists()
    assert cli("network", "add", "kb", "--name", "Kalundborg", "--currency", "DKK", db=db).returncode == 0
    again = cli("network", "add", "kb", "--name", "Kalundborg", "--currency", "DKK", db=db)
    assert again.returncode == 1 and "exists" in again.stderr and "Traceback" not in again.stderr
    assert cli("import", "kb", str(scenarios.path("kalundborg")), db=db).returncode == 0
    weak = cli(
        "user", "add", "f@kb.dk", "--network", "kb", "--role", "facilitator", "--password-stdin", db=db, stdin="123\n"
    )
    assert weak.returncode == 1 and "password" in weak.stderr
    ok = cli(
        "user",
        "add",
        "f@kb.dk",
        "--network",
        "kb",
        "--role",
        "facilitator",
        "--password-stdin",
        db=db,
        stdin="a long enough pass\n",
    )
    assert ok.returncode == 0, ok.stderr
    nomember = cli(
        "user",
        "add",
        "m@kb.dk",
        "--network",
        "kb",
        "--role",
        "member",
        "--member",
        "ZZ",
        "--password-stdin",
        db=db,
        stdin="a long enough pass\n",
    )
    assert nomember.returncode == 1 and "no member 'ZZ'" in nomember.stderr
    token = cli("token", "f@kb.dk", db=db)
    assert token.returncode == 0 and len(token.stdout.strip()) > 30
    out = tmp_path / "export"
    assert cli("export", "kb", str(out), db=db).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "links.csv",
        "members.csv",
        "resources.yaml",
        "scenario.yaml",
        "streams.csv",
    ]
    matched = subprocess.run([SYMBIOSE, "match", str(out), "--json"], capture_output=True, text=True, timeout=120)
    assert matched.returncode == 0 and json.loads(matched.stdout)["status"] == "optimal"


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    cli("network", "add", "kb", "--name", "K", "--currency", "DKK", db=db)
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in scenarios.path("kalundborg").iterdir():
        if f.is_file():
            (bad / f.name).write_bytes(f.read_bytes())
    streams = (bad / "streams.csv").read_text(encoding="utf-8").splitlines()
    streams[1] = streams[1].replace(streams[1].split(",")[4], "-1", 1) if "," in streams[1] else streams[1]
    (bad / "streams.csv").write_text("\n".join(streams) + "\n", encoding="utf-8")
    result = cli("import", "kb", str(bad), db=db)
    assert result.returncode == 1 and "streams.csv:2:" in result.stderr and "nothing was loaded" in result.stderr
    empty = tmp_path / "empty-export"
    assert cli("export", "kb", str(empty), db=db).returncode == 0
    assert (empty / "streams.csv").read_text(encoding="utf-8").strip() == ""


def test_bad_database_urls_are_usage_errors(tmp_path: Path) -> None:
    result = cli("migrate", db=Path("mysql://x/y"))
    assert result.returncode == 2 and "unsupported database URL" in result.stderr
    unreachable = cli("migrate", db=Path("postgresql://nobody:pw@127.0.0.1:1/none"))
    assert (
        unreachable.returncode == 1
        and "Traceback" not in unreachable.stderr
        and unreachable.stderr.startswith("error:")
    )


def test_engine_commands_never_import_django() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from matcher.cli import main\n"
        "r = CliRunner().invoke(main, ['match', sys.argv[1], '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "h = CliRunner().invoke(main, ['--help'])\n"
        "assert 'serve' in h.output and 'registry' in h.output, h.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'registry', 'waitress')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(scenarios.path("kalundborg"))], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['registry', 'registry.cli']"


def test_a_folder_with_periods_storage_or_processes_is_refused_whole(tmp_path: Path) -> None:
    """The registry keeps streams for the year: a seasonal folder is refused, never imported without its seasons."""
    db = tmp_path / "r.db"
    cli("network", "add", "hs", "--name", "H", "--currency", "DKK", db=db)
    result = cli("import", "hs", str(scenarios.path("hillerod_seasonal")), db=db)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for table in ("periods", "profiles", "storage", "processes", "process_flows"):
        assert f"import a folder without {table}" in result.stderr
    out = tmp_path / "after"
    assert cli("export", "hs", str(out), db=db).returncode == 0
    assert (out / "streams.csv").read_text(encoding="utf-8").strip() == ""
