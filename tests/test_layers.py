"""The package layout is the pipeline's: a lower layer never imports a higher one.

Every import in every module under src/llb (function-level imports included) is read with ``ast``
and checked against the layer order below; the statistics need only numpy, scipy and the standard
library.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "llb"

# lowest first; a module may import its own layer and the layers before it
LAYERS = [
    ("core", ["llb.version", "llb.errors", "llb.files", "llb.records", "llb.progress", "llb.quiet"]),
    ("stats", ["llb.stats"]),
    ("stan", ["llb.stan"]),
    ("analysis", ["llb.analysis"]),
    ("problem", ["llb.tables", "llb.problem"]),
    ("llm", ["llb.llm"]),
    ("pipeline", ["llb.pipeline"]),
    ("report", ["llb.report"]),
    ("api", ["llb.api"]),
    ("web", ["llb.web"]),
    ("cli", ["llb.cli", "llb.__main__"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    return None


def imports_of(path: Path, name: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every import in the file (module ``name``), relative imports resolved."""
    tree = ast.parse(path.read_text())
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names if layer_of(f"{target}.{alias.name}") is not None and target == "llb"]
    return found


MODULES = sorted(path for path in SOURCE.rglob("*.py"))


def test_every_module_has_a_layer():
    unplaced = [module_name(path) for path in MODULES if module_name(path) != "llb" and layer_of(module_name(path)) is None]
    assert not unplaced, f"modules outside every layer (add them to LAYERS): {unplaced}"


def upward_imports(path: Path, name: str) -> list[str]:
    own = layer_of(name)
    assert own is not None, name
    found = []
    for line, target in imports_of(path, name):
        layer = layer_of(target) if target.startswith("llb") else None
        if layer is not None and layer > own:
            found.append(f"line {line}: {target} ({LAYERS[layer][0]})")
    return found


@pytest.mark.parametrize("path", [p for p in MODULES if module_name(p) != "llb"], ids=module_name)
def test_no_module_imports_a_higher_layer(path: Path):
    """(``llb/__init__.py`` is exempt: its lazy exports name the API on purpose.)"""
    name = module_name(path)
    assert not upward_imports(path, name), f"{name} imports higher layers: {upward_imports(path, name)}"


@pytest.mark.parametrize("path", sorted((SOURCE / "stats").glob("*.py")), ids=module_name)
def test_statistics_need_only_numpy_and_scipy(path: Path):
    allowed = {"numpy", "scipy", "__future__"} | set(sys.stdlib_module_names)
    foreign = [
        f"line {line}: {target}" for line, target in imports_of(path)
        if target.split(".")[0] not in allowed and not target.startswith("llb.stats")
    ]  # fmt: skip
    assert not foreign, f"{module_name(path)} imports more than numpy and scipy: {foreign}"


def test_the_layer_check_can_fail(tmp_path):
    """Upward imports are found, relative and function-level ones included."""
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy\nfrom . import summary\ndef f():\n    from ..pipeline.run import run_problem\n    import llb.report\n")
    assert upward_imports(probe, "llb.stats.probe") == ["line 4: llb.pipeline.run (pipeline)", "line 5: llb.report (report)"]
    assert upward_imports(probe, "llb.cli") == []
