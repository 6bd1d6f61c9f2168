"""The command line, through click's runner: exit codes, outputs, no tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import highspy
import pandas as pd
import pytest
from click.testing import CliRunner

import scenarios
from matcher.cli import main
from models import load

HERE = Path(__file__).parent


def test_validate_clean_scenario_prints_a_summary(runner: CliRunner, bundled: Path) -> None:
    r = runner.invoke(main, ["validate", str(bundled)])
    assert r.exit_code == 0, r.output
    assert "OK." in r.stdout and "members" in r.stdout and "energy" in r.stdout


def test_validate_lists_all_ten_mistakes_compiler_style(runner: CliRunner) -> None:
    r = runner.invoke(main, ["validate", str(HERE / "data" / "ten_mistakes")])
    assert r.exit_code == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.count(":") >= 3]
    assert len(lines) == 10
    assert "streams.csv:4:resource: 'wood_wast' is not a resource" in r.stderr
    assert "Traceback" not in r.output
    assert r.stdout == ""


def test_validate_a_missing_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    r = runner.invoke(main, ["validate", str(tmp_path / "nope.csv")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_validate_a_broken_scenario_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text("name: x\nmembers: m.csv\nstreams: s.csv\nparameters:\n  carbon_prise: 3\n")
    r = runner.invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 1
    assert "scenario.yaml::parameters.carbon_prise: unknown key" in r.stderr
    (tmp_path / "scenario.yaml").write_text("name: x\nmembers: [unclosed\n")
    r = runner.invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 1 and "Traceback" not in r.output


def test_schema_is_json_schema_for_each_table(runner: CliRunner) -> None:
    r = runner.invoke(main, ["schema"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    seasons = {"periods", "profiles", "storage", "processes", "process_flows"}
    assert set(doc) == {"members", "streams", "links", "scenario"} | seasons
    assert {"member_id", "name", "lat", "lon"} <= set(doc["members"]["required"])
    assert doc["streams"]["properties"]["direction"]["enum"] == ["supply", "demand"]
    one = json.loads(runner.invoke(main, ["schema", "--table", "streams"]).stdout)
    assert one == doc["streams"]


def _fill_template(folder: Path, streams: list[dict[str, str]]) -> None:
    """Fill in the CSV templates below their explanation row, as a company would: two members, some streams."""
    with open(folder / "members.csv", "a", encoding="utf-8") as fh:
        fh.write("A,Ærø Øl,C11.05,55.9,12.3\nB,Bæk,,55.91,12.31\n")
    header = (folder / "streams.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    with open(folder / "streams.csv", "a", encoding="utf-8") as fh:
        for stream in streams:
            fh.write(",".join(stream.get(h, "") for h in header) + "\n")


def test_template_can_be_filled_in_and_validated(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    r = runner.invoke(main, ["template", str(folder)])
    assert r.exit_code == 0
    assert {p.name for p in folder.iterdir()} == {"members.csv", "streams.csv", "links.csv", "template.xlsx"}
    # an empty template is not a network
    assert runner.invoke(main, ["validate", str(folder / "members.csv"), str(folder / "streams.csv")]).exit_code == 1
    # a company fills in the CSV templates below the explanation row
    _fill_template(
        folder,
        [
            {
                "stream_id": "s",
                "member_id": "A",
                "direction": "supply",
                "resource": "heat_medium",
                "quantity": "10",
                "unit": "MWh",
                "q_temperature_c": "80",
            },
            {
                "stream_id": "d",
                "member_id": "B",
                "direction": "demand",
                "resource": "heat_low",
                "quantity": "10",
                "unit": "MWh",
                "q_temperature_c_min": "60",
            },
        ],
    )
    r = runner.invoke(main, ["validate", str(folder / "members.csv"), str(folder / "streams.csv")])
    assert r.exit_code == 0, r.output
    # the workbook template reads as a (still empty) network with its explanation row skipped
    book = pd.read_excel(folder / "template.xlsx", sheet_name=None)
    assert {"members", "streams", "links"} <= set(book)
    assert str(book["streams"].iloc[0, 0]).startswith("#")


def test_template_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["template", str(tmp_path)]).exit_code == 0
    before = (tmp_path / "members.csv").read_bytes()
    (tmp_path / "members.csv").write_text("mine")
    r = runner.invoke(main, ["template", str(tmp_path)])
    assert r.exit_code == 1 and "exists" in r.stderr
    assert (tmp_path / "members.csv").read_text() == "mine"
    assert runner.invoke(main, ["template", str(tmp_path), "--force"]).exit_code == 0
    assert (tmp_path / "members.csv").read_bytes() == before


def test_match_prints_a_table(runner: CliRunner, bundled: Path) -> None:
    r = runner.invoke(main, ["match", str(bundled)])
    assert r.exit_code == 0, r.output
    assert "optimal" in r.stdout and "Exchanges (" in r.stdout and "Key figures" in r.stdout


def test_match_json_is_one_document_with_the_contract_keys(runner: CliRunner, hillerod: Path) -> None:
    r = runner.invoke(main, ["match", str(hillerod), "--json"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)  # nothing else on stdout
    assert {
        "scenario",
        "status",
        "currency",
        "objective",
        "baseline_cost",
        "savings",
        "kpis",
        "exchanges",
        "unmatched",
        "virgin_purchases",
        "disposals",
    } <= set(doc)
    assert doc["status"] == "optimal" and doc["currency"] == "DKK"
    assert {"waste_diverted_t", "co2e_avoided_t", "transport_tkm", "exchanges", "members_involved"} <= set(doc["kpis"])
    ex = doc["exchanges"][0]
    assert {
        "supply_stream",
        "demand_stream",
        "from_member",
        "to_member",
        "resource",
        "quantity",
        "unit",
        "distance_km",
        "transport_cost",
        "saving",
    } <= set(ex)
    assert {"stream_id", "unmatched_quantity", "reason"} <= set(doc["unmatched"][0])
    assert {"stream_id", "quantity", "unit"} <= set(doc["virgin_purchases"][0]) | set(doc["disposals"][0])
    assert doc["objective"] == pytest.approx(doc["baseline_cost"] - doc["savings"])
    assert doc["kpis"]["exchanges"] == len(doc["exchanges"])


def test_match_out_writes_files_and_cbc_agrees(runner: CliRunner, hillerod: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = runner.invoke(
        main, ["match", str(hillerod), "--out", str(out), "--xlsx", str(tmp_path / "r.xlsx"), "--solver", "cbc"]
    )
    assert r.exit_code == 0, r.output
    files = {"exchanges.csv", "members.csv", "streams.csv", "factors.csv", "kpis.json"}
    assert {p.name for p in out.iterdir()} == files
    kpis = json.loads((out / "kpis.json").read_text())
    highs = json.loads(runner.invoke(main, ["match", str(hillerod), "--json"]).stdout)
    assert kpis["objective"] == pytest.approx(highs["objective"], rel=1e-7)
    assert len(pd.read_csv(out / "exchanges.csv")) == len(highs["exchanges"])
    sheets = {"kpis", "exchanges", "members", "streams", "factors"}
    assert set(pd.read_excel(tmp_path / "r.xlsx", sheet_name=None)) == sheets


def test_write_mps_gives_the_same_optimum_in_another_solver(runner: CliRunner, hillerod: Path, tmp_path: Path) -> None:
    mps = tmp_path / "model.mps"
    r = runner.invoke(main, ["match", str(hillerod), "--json", "--write-mps", str(mps)])
    assert r.exit_code == 0
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(mps)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(json.loads(r.stdout)["objective"], rel=1e-9)


def test_bad_solver_and_time_limit_are_usage_errors(runner: CliRunner, hillerod: Path) -> None:
    r = runner.invoke(main, ["match", str(hillerod), "--solver", "magic"])
    assert r.exit_code == 2 and "magic" in r.output
    r = runner.invoke(main, ["match", str(hillerod), "--time-limit", "-1"])
    assert r.exit_code == 2


def test_match_on_bad_data_lists_problems_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    shutil.copytree(HERE / "data" / "ten_mistakes", tmp_path / "t")
    r = runner.invoke(main, ["match", str(tmp_path / "t"), "--json", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and r.stdout == "" and "Traceback" not in r.output
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_no_solution_exits_3(runner: CliRunner, hillerod: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher.solve import Solution, Status
    from matcher.solve.highs import HighsSolver

    monkeypatch.setattr(
        HighsSolver,
        "solve",
        lambda self, lp, time_limit=None, start=None: Solution(Status.TIME_LIMIT_NO_SOLUTION, message="time"),
    )
    r = runner.invoke(main, ["match", str(hillerod), "--out", str(Path("never"))])
    assert r.exit_code == 3 and "time_limit_no_solution" in r.stdout
    assert not Path("never").exists()


def test_demo_runs_the_bundled_hillerod_scenario(runner: CliRunner) -> None:
    r = runner.invoke(main, ["demo", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["scenario"] == load(Path(__file__).parents[1] / "scenarios" / "hillerod")[0].name


def test_a_filled_in_template_folder_validates_as_a_folder(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "company"
    assert runner.invoke(main, ["template", str(folder)]).exit_code == 0
    _fill_template(
        folder,
        [
            {
                "stream_id": "s",
                "member_id": "A",
                "direction": "supply",
                "resource": "wood_waste",
                "quantity": "10",
                "unit": "t",
            }
        ],
    )
    r = runner.invoke(main, ["validate", str(folder)])
    assert r.exit_code == 0, r.output  # the CSV files, not the empty workbook beside them
    assert "2 members, 1 streams" in r.stdout


def test_a_table_given_twice_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "members.csv").write_text("member_id,name,lat,lon\nA,a,55,12\n", encoding="utf-8")
    (tmp_path / "members_old.csv").write_text("member_id,name,lat,lon\nB,b,55,12\n", encoding="utf-8")
    (tmp_path / "streams.csv").write_text(
        "stream_id,member_id,direction,resource,quantity,unit\ns,A,supply,wood_waste,1,t\n", encoding="utf-8"
    )
    r = runner.invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 1 and "given twice" in r.stderr


def test_one_exit_code_table_for_every_error_class() -> None:
    from matcher.cli import exit_code
    from matcher.errors import InvalidOption, NoSolution, NotSolved, UnknownId, UnknownSolver, Unsupported
    from models import DataError, Issue

    assert exit_code(DataError([Issue("f", 1, "c", "m")])) == 1
    assert exit_code(NoSolution("infeasible", "no")) == 3
    assert exit_code(InvalidOption("x")) == exit_code(UnknownSolver("x")) == exit_code(Unsupported("x")) == 2
    assert exit_code(NotSolved("x")) == exit_code(UnknownId("x")) == 1
    assert exit_code(RuntimeError("x")) is None


def test_resilience_and_prices_of_an_infeasible_scenario_exit_3_without_a_traceback(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.solve import Solution, Status
    from matcher.solve.highs import HighsModel, HighsSolver

    monkeypatch.setattr(HighsModel, "solve", lambda self: Solution(Status.INFEASIBLE, message="no"))
    monkeypatch.setattr(HighsSolver, "solve", lambda self, lp, time_limit=None, start=None: Solution(Status.INFEASIBLE))
    path = str(HERE.parent / "scenarios" / "kalundborg")
    for args in (["resilience", path], ["prices", path], ["pareto", path], ["report", path]):
        r = runner.invoke(
            main, [*args, "--json"] if args[0] != "report" else [*args, "--out", str(tmp_path / "r.html")]
        )
        assert r.exit_code == 3, (args, r.output)
        assert isinstance(r.exception, SystemExit), (args, r.exception)  # no traceback
        assert "no solution" in r.output or "infeasible" in r.output
    assert not (tmp_path / "r.html").exists()


def test_match_method_search_is_the_same_optimum_and_refuses_a_milp(runner: CliRunner, hillerod: Path) -> None:
    kalundborg = Path(scenarios.path("kalundborg"))
    docs = {}
    for method in ("search", "whole"):
        r = runner.invoke(main, ["match", str(kalundborg), "--method", method, "--json"])
        assert r.exit_code == 0, r.output
        docs[method] = json.loads(r.stdout)
    assert docs["search"]["objective"] == pytest.approx(docs["whole"]["objective"], rel=1e-9)
    assert docs["search"]["kpis"]["exchanges"] == docs["whole"]["kpis"]["exchanges"]
    # Hillerød has minimum quantities (a MILP): the search says so and exits 2, without a traceback
    r = runner.invoke(main, ["match", str(hillerod), "--method", "search"])
    assert r.exit_code == 2 and "minimum quantity" in r.stderr and "Traceback" not in r.output


def test_the_program_ends_without_a_last_collection_and_keeps_its_exit_code(monkeypatch) -> None:
    """``symbiose`` (:func:`matcher.cli.command`) freezes the collector once the command is done; :func:`main`
    called in a process that goes on leaves it alone."""
    import gc

    from matcher import cli

    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    for argv, code in ((["symbiose", "--version"], 0), (["symbiose", "match", "/no/such/folder"], 2)):
        monkeypatch.setattr("sys.argv", argv)
        with pytest.raises(SystemExit) as ended:
            cli.command()
        assert ended.value.code == code and len(frozen) == 1
        frozen.clear()
    assert CliRunner().invoke(cli.main, ["--version"]).exit_code == 0 and not frozen
