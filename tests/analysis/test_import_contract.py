"""deter.analysis must never import Django or the web layer (DESIGN.md section 4)."""

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ANALYSIS = Path(__file__).resolve().parents[2] / "src" / "deter" / "analysis"


def forbidden(module: str) -> bool:
    return module == "django" or module.startswith(("django.", "deter.web"))


def analysis_modules() -> list[str]:
    return sorted(
        "deter.analysis" + (f".{'.'.join(path.relative_to(ANALYSIS).with_suffix('').parts)}")
        for path in ANALYSIS.rglob("*.py")
        if path.name != "__init__.py"
    )


def test_importing_the_analysis_loads_no_django():
    wanted = ["deter.analysis.pipeline", "deter.analysis.synth", *analysis_modules()]
    present = sorted({m for m in wanted if importlib.util.find_spec(m) is not None})
    assert "deter.analysis.pipeline" in present
    code = (
        f"import importlib, sys\n"
        f"for name in {present!r}:\n"
        f"    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m == 'django' "
        f"or m.startswith(('django.', 'deter.web')))\n"
        f"assert not bad, bad\n"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("path", sorted(ANALYSIS.rglob("*.py")), ids=lambda p: p.name)
def test_no_analysis_module_imports_the_web_layer(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            # relative: deter.analysis never reaches up into deter.web
            assert node.level == 1 or path.parent != ANALYSIS, f"{path}: relative import upwards"
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            imported.append(str(node.args[0].value))
    assert not [m for m in imported if forbidden(m)], f"{path} imports {imported}"


@pytest.mark.parametrize(
    "path", sorted(p for p in ANALYSIS.rglob("*.py") if p.name != "pipeline.py"),
    ids=lambda p: p.name,
)
def test_no_analysis_module_imports_the_pipeline_back(path):
    """The settings live in deter.analysis.config, so no measure module needs the pipeline
    (the report names AnalysisResult for type checking only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    checked_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    back = [
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "deter.analysis.pipeline"
        and id(node) not in checked_only
    ]
    assert not back, f"{path.name} imports deter.analysis.pipeline at line(s) {back}"
