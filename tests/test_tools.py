"""What a notebook does on a machine without nginx, Java or MLServer's environment.

A cell marked ``# needs: ...`` prints what is missing and how to install it instead of running
(no traceback, the next cells run); in CI a missing tool fails the cell; on Binder Spark's cell
says Binder's reason. The notebook runs in a real IPython shell here.
"""

from __future__ import annotations

import ast
import json

import pytest
from helpers import require_in_ci
from IPython.core.interactiveshell import InteractiveShell

from workshop_lib.paths import PROJECT_ROOT
from workshop_lib.support import tools


def test_a_path_without_nginx_says_what_is_missing_and_how_to_install_it(tmp_path):
    environ = {"PATH": str(tmp_path)}
    assert tools.locate("nginx", environ) is None
    assert tools.missing(["nginx", "spark"], environ) == {
        "nginx": "nginx (the load balancer) is not installed: sudo apt-get install nginx",
        "spark": f"Java 17 (Spark runs on it) is not installed: {tools.TOOLS['spark'].install}",
    }
    assert tools.skip_reason(["nginx"], environ) == (
        "skipped here: nginx (the load balancer) is not installed: sudo apt-get install nginx"
    )


def test_in_ci_a_missing_tool_fails(tmp_path):
    with pytest.raises(tools.ToolMissingError, match="sudo apt-get install nginx"):
        tools.skip_reason(["nginx"], {"PATH": str(tmp_path), "CI": "true"})


def test_where_nginx_is_installed_nothing_is_skipped():
    found = require_in_ci("nginx")
    assert tools.locate("nginx") is not None and tools.skip_reason(["nginx"]) is None, found


def test_java_home_counts_as_java(tmp_path):
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.touch()
    assert tools.locate("spark", {"PATH": "", "JAVA_HOME": str(tmp_path / "jdk")}) == java


@pytest.mark.parametrize(
    ("first_line", "needs"),
    [("# needs: nginx", ["nginx"]), ("  # needs: nginx, mlserver", ["nginx", "mlserver"]),
     ("x = 1  # needs: nginx", []), ("", [])],
)  # fmt: skip
def test_the_mark_is_the_cells_first_line(first_line, needs):
    assert tools.needs_of(f"{first_line}\nprint('hi')\n") == needs


def test_an_unknown_tool_is_named():
    with pytest.raises(ValueError, match="unknown tool 'ngnix'"):
        tools.skip_reason(["ngnix"])


@pytest.fixture
def shell(monkeypatch):
    """A real IPython shell on a machine without Java (Spark), in or out of CI."""
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    for name in ("CI", *tools.binder.BINDER_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    shell = InteractiveShell.instance()
    tools.skip_marked_cells(shell)
    tools.skip_marked_cells(shell)  # the setup cell run twice registers it once
    yield shell
    shell.input_transformers_post.remove(tools.skip_if_missing)
    InteractiveShell.clear_instance()


def test_a_marked_cell_says_why_instead_of_running_and_the_next_cell_runs(shell, capsys):
    skipped = shell.run_cell("# needs: spark\nranked = 1 / 0\n")
    after = shell.run_cell("ran = 'the next cell'\n")
    assert skipped.success and after.success
    assert "ranked" not in shell.user_ns and shell.user_ns["ran"] == "the next cell"
    assert capsys.readouterr().out == (
        f"skipped here: Java 17 (Spark runs on it) is not installed: "
        f"{tools.TOOLS['spark'].install}\n"
    )
    assert shell.input_transformers_post.count(tools.skip_if_missing) == 1


def test_in_ci_the_marked_cell_fails(shell, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = shell.run_cell("# needs: spark\nranked = 1\n")
    assert not result.success and "ranked" not in shell.user_ns


def test_on_binder_spark_gives_binders_reason(shell, monkeypatch, capsys):
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    assert shell.run_cell("# needs: spark\nranked = 1\n").success
    assert capsys.readouterr().out.strip() == tools.binder.SKIPPED_ON_BINDER["spark"]


def test_every_cell_of_chapter_09_names_the_tools_it_uses():
    notebook = json.loads(
        (PROJECT_ROOT / "notebooks" / "09_best_practices_and_scaling.ipynb").read_text()
    )
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    uses = {
        "balancer": "nginx",
        "replicas": "nginx",
        "mlserver": "mlserver",
        "spark_cluster": "spark",
    }
    for source in code[1:]:  # the setup cell (IPython syntax) only names them
        names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
        needed = {tool for name, tool in uses.items() if name in names}
        assert needed <= set(tools.needs_of(source)), source[:200]
