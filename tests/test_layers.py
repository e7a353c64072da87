"""The layers' rules, checked from the source (docs/architecture.md says why each exists):

- ``deter.analysis`` never imports Django or ``deter.web``
  (``tests/analysis/test_import_contract.py``);
- only ``actions/``, ``ingest/`` and migrations write: views, forms, queries, domain facts,
  template tags, the demo, the API and the policy call no model write (``save``, ``delete``,
  ``create``, ``update`` of a queryset, many-to-many ``add``...);
- views, the API, template tags and the template context read records only through the
  policy (or a record the policy gave them): no ``Model.objects`` there.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "deter"
WEB = SRC / "web"
READ_ONLY_LAYERS = ("views", "forms", "queries", "domain", "templatetags", "demo", "policy",
                    "sso", "api")
READ_ONLY_MODULES = ("context.py", "middleware.py", "urls.py")
MANAGER_WRITES = frozenset({"create", "bulk_create", "get_or_create", "update_or_create",
                            "bulk_update", "update", "delete", "add", "remove", "set", "clear"})
INSTANCE_WRITES = frozenset({"save", "delete", "refresh_from_db_and_save"})


def modules(*parts: str) -> list[Path]:
    found = []
    for part in parts:
        path = WEB / part
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def _receiver_names(node: ast.AST) -> list[str]:
    """The attribute and call names along a receiver chain: ``a.objects.filter(x).update``
    gives ['a', 'objects', 'filter']."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            break
        else:
            break
    return list(reversed(names))


def writes_in(path: Path) -> list[str]:
    """Model writes in a module, as 'line: code'."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        chain = _receiver_names(node.func.value)
        through_manager = "objects" in chain or any(
            name.endswith(("_set", "agencies", "attendees")) for name in chain)
        if method in MANAGER_WRITES and through_manager:
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(node)[:80]}")
        elif method in INSTANCE_WRITES and not node.args:
            # Model.save()/delete() take no positional arguments; python-docx's
            # document.save(stream) and the like do
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


@pytest.mark.parametrize("path", modules(*READ_ONLY_LAYERS, *READ_ONLY_MODULES),
                         ids=lambda p: str(p.relative_to(WEB)))
def test_only_actions_and_ingest_write(path):
    assert writes_in(path) == []


def test_the_write_check_finds_writes():
    """The check itself: each kind of write is found, the look-alikes are not."""
    sample = WEB / "actions" / "cohort.py"
    assert any("save(update_fields" in write for write in writes_in(sample))
    assert any("bulk_create" in write for write in writes_in(sample))
    for path in modules("actions", "ingest"):
        writes_in(path)  # parses


POLICY_READERS = ("views", "templatetags", "context.py", "api")


def manager_reads_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [f"{path.relative_to(SRC)}:{node.lineno}: {ast.unparse(node)[:80]}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "objects"]


@pytest.mark.parametrize("path", modules(*POLICY_READERS), ids=lambda p: str(p.relative_to(WEB)))
def test_views_read_through_the_policy(path):
    assert manager_reads_in(path) == []


def test_the_read_check_finds_reads():
    assert manager_reads_in(WEB / "queries" / "agenda.py")
