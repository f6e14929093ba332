"""The command line's conventions: --version, a description and examples in every command's
help, listings that fit 80 columns without cutting a name, machine-readable listings, the
resolved scenario with its sources, and a JSON Schema editors can use."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from aicapex import cli
from aicapex.cli.main import COMMANDS
from aicapex.scenarios import builtin_names, load_scenario
from aicapex.scenarios.loader import _plain, library_dir
from aicapex.sim.model import PARAMETERS


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as e:  # argparse's --help and --version
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys):
    from importlib.metadata import version

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"aicapex {version('aicapex')}"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_a_description_and_examples(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    body = out.split("\n\n")
    assert len(body[1].split()) >= 10, f"{command}: no description"  # after the usage
    examples = out.split("examples:\n", 1)[1].splitlines()
    assert examples and all(e.strip().startswith("aicapex ") for e in examples if e.strip())


def test_a_bare_command_line_shows_help_that_fits_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run(capsys)
    assert code == 0 and not err
    assert out.startswith("usage: aicapex") and all(f"    {c} " in out or f"    {c}\n" in out
                                                     for c in COMMANDS)
    assert max(map(len, out.splitlines())) <= 80


@pytest.mark.parametrize(("argv", "said"), [
    (["rnu", "baseline"], "Did you mean 'run'?"),
    (["valdate", "x.yaml"], "Did you mean 'validate'?"),
    (["list", "--jsn"], "Did you mean --json for --jsn?"),
    (["params", "--sectoin", "fed"], "Did you mean --section for --sectoin?"),
    (["--debugg", "list"], "Did you mean --debug for --debugg?"),
    # an abbreviation is an unknown option, not the option it begins
    (["run", "baseline", "--out", "o", "--draw", "10"], "Did you mean --draws for --draw?"),
    (["params", "--sec", "fed"], "unrecognized arguments: --sec"),
])
def test_mistyped_commands_and_options_get_the_closest_suggested(capsys, argv, said, tmp_path):
    code, out, err = run(capsys, *argv)
    assert code == 2 and not out
    assert said in err and "usage: aicapex" in err
    assert not (tmp_path / "o").exists()


def test_validate_reads_standard_input(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("name: piped\nextends: baseline\n"))
    code, out, _ = run(capsys, "validate", "-")
    assert code == 0 and "ok <stdin>: piped" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("name: piped\nextends: baseline\ncapex:\n"
                                                 "  slowdwn: 1\n"))
    code, _, err = run(capsys, "validate", "-")
    assert code == 2 and "<stdin>:4: capex.slowdwn: unknown field" in err


def test_listings_fit_80_columns_and_never_cut_a_name(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "list")
    assert code == 0 and max(map(len, out.splitlines())) <= 80
    firsts = [line.split()[0] for line in out.splitlines() if line and not line[0].isspace()]
    assert firsts == builtin_names()
    code, out, _ = run(capsys, "params")
    assert code == 0 and max(map(len, out.splitlines())) <= 80
    names = re.findall(r"^  (\S+)", out, re.M)
    assert names == [p.name for p in PARAMETERS]
    # priors at 4 significant digits, written as in a scenario file
    assert "uniform(low=0.03, high=0.04)" in out and "0.3333333" not in out


def test_params_filters_and_machine_readable_forms(capsys):
    code, out, _ = run(capsys, "params", "revenue", "--json")
    rows = json.loads(out)
    assert code == 0 and rows and all("revenue" in f"{r['name']} {r['section']} "
                                      f"{r['meaning']}".lower() for r in rows)
    assert all(isinstance(r["lo"], float) and isinstance(r["hi"], float) for r in rows)
    code, out, _ = run(capsys, "params", "--section", "credit", "--csv")
    header, *lines = out.strip().splitlines()
    assert header.startswith("section,name,prior,dist") and lines
    assert all(line.startswith("credit,") for line in lines)
    code, out, _ = run(capsys, "params", "no_such_thing")
    assert code == 1 and "sections:" in out
    code, out, _ = run(capsys, "list", "--json")
    assert [r["name"] for r in json.loads(out)] == builtin_names()


def test_show_resolved_loads_back_and_names_each_source(capsys, tmp_path):
    f = tmp_path / "combo.yaml"
    f.write_text("name: combo\nextends: [credit_stress, tariff_escalation]\n"
                 "capex:\n  debt_financed_share: 0.5\n")
    code, out, _ = run(capsys, "show", f, "--resolved")
    assert code == 0
    assert yaml.safe_load(out) == yaml.safe_load(load_scenario(f).resolved_yaml)
    lines = {line.split(":")[0].strip(): line for line in out.splitlines()}
    assert lines["debt_financed_share"].endswith(f"# {f}:4")
    assert lines["spread_leverage_beta"].endswith("# <built-in credit_stress>:12")
    assert lines["passthrough_quarters"].endswith("# <built-in baseline>:22")
    code, out, _ = run(capsys, "show", "credit_stress")
    assert out == (library_dir() / "credit_stress.yaml").read_text()


def test_json_schema_describes_every_field_and_checks_files(capsys, tmp_path):
    code, _, _ = run(capsys, "schema", "--out", tmp_path / "s.json")
    schema = json.loads((tmp_path / "s.json").read_text())
    assert code == 0
    jsonschema.Draft202012Validator.check_schema(schema)

    def properties(node):
        if isinstance(node, dict):
            yield from node.get("properties", {}).items()
            for v in node.values():
                yield from properties(v)
        elif isinstance(node, list):
            for v in node:
                yield from properties(v)

    props = list(properties(schema))
    assert len(props) > 100
    def described(prop) -> bool:  # (a reference shows its definition's description)
        ref = prop.get("$ref", "").removeprefix("#/$defs/")
        return bool(prop.get("description") or schema["$defs"].get(ref, {}).get("description"))

    assert [n for n, p in props if not described(p)] == []
    assert [k for k, d in schema["$defs"].items() if not d.get("description")] == []
    sections = {p.section for p in PARAMETERS}
    params = [(n, p) for n, p in props if n in {q.name for q in PARAMETERS}]
    assert all("Unit: " in p["description"] and "values in [" in p["description"]
               for _, p in params), sections
    v = jsonschema.Draft202012Validator(schema)
    for path in library_dir().glob("*.yaml"):  # every built-in file, as an editor reads it
        data = json.loads(json.dumps(_plain(yaml.safe_load(path.read_text()))))
        assert not list(v.iter_errors(data)), path.stem
    bad = {"name": "x", "credit": {"spread_shift": 0.5},
           "fed": {"neutral_rate": {"dist": "normal", "mean": 0.03}}, "capex": {"slowdon": 1}}
    assert sorted(tuple(e.path) for e in v.iter_errors(bad)) == [
        ("capex",), ("credit", "spread_shift"), ("fed", "neutral_rate")]


def _closing_table(names, medians):
    """What ``cmd_run._print_table`` takes: a horizon table of ``names`` with the index
    medians ``medians`` (the other columns fixed) and a dataset with the horizon's date."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    table = pd.DataFrame({"index median": medians, "index 5%": 4_321.0, "index 95%": 19_876.0,
                          "P(drawdown>20%)": 0.523, "Mag-10 weight median": 0.412,
                          "platform earnings change median": -0.123},
                         index=pd.Index(names, name="scenario"))
    ds = xr.Dataset({"index_level": ("time", [1.0], {"start_value": 6850.0})},
                    coords={"time": np.array(["2030-09-30"], "datetime64[ns]")})
    return table, ds


def test_the_closing_table_fits_80_columns_with_whole_names(monkeypatch):
    import io

    import pandas as pd
    from rich.console import Console

    from aicapex.cli import cmd_run

    names = ["baseline", "credit_stress", "fed_severely_adverse", "variant_with_a_long_name_10"]
    table, ds = _closing_table(names, 10_234.0)
    buf = io.StringIO()
    monkeypatch.setattr(cmd_run, "out", Console(file=buf, width=80))
    cmd_run._print_table(table, ds)
    lines = buf.getvalue().splitlines()
    assert max(map(len, lines)) <= 80
    assert all(any(line.lstrip().startswith(n + " ") for line in lines) for n in names)
    assert any("4,321-19,876" in line for line in lines) and "…" not in buf.getvalue()

    # names too long to share a line with the numbers: rows by number, the names below
    sweep = ["baseline", "life_and_cut.useful_life_years3.growth_shift-0.4",
             "life_and_cut.useful_life_years10.growth_shift-0.8"]
    buf.seek(0)
    buf.truncate()
    cmd_run._print_table(table.iloc[:3].set_axis(pd.Index(sweep, name="scenario")), ds)
    lines = buf.getvalue().splitlines()
    assert max(map(len, lines)) <= 80 and "Mag-10" in buf.getvalue()
    assert [line.split(maxsplit=1) for line in lines[-3:]] == [
        [str(k + 1), n] for k, n in enumerate(sweep)]


def test_the_closing_table_of_a_large_sweep_shows_its_ends_and_says_where_the_rest_are(
        monkeypatch):
    import io

    import numpy as np
    import pandas as pd
    from rich.console import Console

    from aicapex.cli import cmd_run

    names = [f"s.useful_life_years{3 + k / 100:g}" for k in range(1000)]
    table, ds = _closing_table(names, np.arange(1000) + 10_000.0)
    buf = io.StringIO()
    monkeypatch.setattr(cmd_run, "out", Console(file=buf, width=80))
    cmd_run._print_table(table, ds, "runs/sweep")
    text = buf.getvalue()
    lines = text.splitlines()
    assert max(map(len, lines)) <= 80
    half = cmd_run.TABLE_ROWS // 2
    shown = [*range(half), *range(1000 - half, 1000)]
    assert [f"{10_000 + k:,}" in text for k in shown] == [True] * len(shown)
    assert f"{10_000 + half:,}" not in text and f"{10_000 + 1000 - half - 1:,}" not in text
    assert sum(line.strip() == "..." for line in lines) == 1
    assert lines[-1] == (f"1,000 scenarios, {1000 - 2 * half} not shown: every one is in "
                         "runs/sweep/summary.csv")
    long = table.set_axis(pd.Index([f"life_and_cut.useful_life_years{3 + k / 100:g}"
                                    ".growth_shift-0.4" for k in range(1000)], name="scenario"))
    buf.seek(0)
    buf.truncate()
    cmd_run._print_table(long, ds, "runs/sweep")
    lines = buf.getvalue().splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[-2].split() == ["1000", "life_and_cut.useful_life_years12.99.growth_shift-0.4"]
    assert [line.split()[0] for line in lines if "life_and_cut" in line] == [
        str(k + 1) for k in shown]


def test_bash_completes_commands_and_options_from_the_generated_script(capsys, tmp_path):
    """``aicapex completion bash`` is a script bash accepts, and with it loaded, Tab completes
    a command and a command's option (run in bash as a shell would call the function)."""
    import shutil
    import subprocess

    code, out, _ = run(capsys, "completion", "bash")
    assert code == 0
    script = tmp_path / "aicapex.bash"
    script.write_text(out)
    code, zsh, _ = run(capsys, "completion", "zsh")
    assert code == 0 and zsh.startswith("#compdef aicapex")
    if shutil.which("bash") is None:
        pytest.skip("no bash")

    def complete(*words: str) -> list[str]:
        line = " ".join(("aicapex", *words))
        body = (f"source {script}; COMP_WORDS=(aicapex {' '.join(words)}); "
                f"COMP_CWORD={len(words)}; COMP_LINE='{line}'; COMP_POINT={len(line)}; "
                f"_shtab_aicapex aicapex {words[-1]} {('aicapex', *words)[-2]}; "
                'echo "${COMPREPLY[@]}"')
        done = subprocess.run(["bash", "-c", body], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("ru") == ["run"]
    assert complete("rev") == ["reverse-stress"]
    assert complete("run", "--dra") == ["--draws"]
    assert "--section" in complete("params", "--")


def test_quiet_leaves_only_the_results_and_the_errors(capsys, tmp_path):
    """``aicapex -q``: no status lines, notes or progress on standard error, so that a script
    reads ``run --json`` alone; an error is still said."""
    code, out, err = run(capsys, "-q", "run", "baseline", "--draws", "500", "--no-plots",
                         "--out", tmp_path / "q", "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["scenarios"][0]["scenario"] == "baseline"
    code, out, err = run(capsys, "run", "baseline", "--draws", "500", "--no-plots",
                         "--out", tmp_path / "loud", "--json")
    assert code == 0 and "simulating 1 scenario(s) (baseline)" in err and "wrote" in err
    code, out, err = run(capsys, "-q", "run", "no_such_scenario", "--out", tmp_path / "x")
    assert code == 2 and not out and "no scenario file or built-in named" in err
