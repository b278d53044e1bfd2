"""The chart's documentation, in the convention of Bitnami's readme-generator-for-helm:
every value of helm/epa/values.yaml has a `## @param key.path description` comment, the
parameters table of helm/epa/README.md is what `make chart-docs` generates from those
comments, and every property of values.schema.json has a description.

The generator itself is an npm package that runs only in `make chart-docs`; these checks
read the same comments with its rules, so the suite needs no node. A @param (or @skip)
covers the children of the key it names: a map or list documented as a whole."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

CHART = Path(__file__).resolve().parents[2] / "helm" / "epa"
REGENERATE = "run `make chart-docs`"

# The generator's own patterns (lib/parser.js), with "##" as the comment format.
_TAG = re.compile(r"^\s*##\s*@(param|skip|extra)\s*(\S+)\s*(\[.*?\])?\s*(.*)$")
_SECTION = re.compile(r"^\s*##\s*@section\s*(.*)$")
_MISSING = object()


@dataclass(frozen=True)
class Param:
    tag: str  # param, skip or extra
    name: str
    modifiers: tuple[str, ...]
    description: str
    section: str | None


def parse_params(values_text: str) -> list[Param]:
    """The @param, @skip and @extra comments of a values file, in order."""
    params, section = [], None
    for line in values_text.splitlines():
        if match := _SECTION.match(line):
            section = match[1].strip()
        elif match := _TAG.match(line):
            tag, name, modifiers, description = match.groups()
            mods = tuple(m.strip() for m in (modifiers or "[]")[1:-1].split(",") if m.strip())
            params.append(Param(tag, name, mods, description.strip(), section))
    return params


def value_keys(values: Any, path: str = "") -> dict[str, Any]:
    """Key path → value of every value the generator documents: the leaves, where an empty
    map or list is a leaf and a list of strings is one value."""
    if isinstance(values, dict) and values:
        children = {f"{path}.{k}" if path else str(k): v for k, v in values.items()}
    elif isinstance(values, list) and values and not all(isinstance(v, str) for v in values):
        children = {f"{path}[{i}]": v for i, v in enumerate(values)}
    else:
        return {path: values}
    keys: dict[str, Any] = {}
    for child, value in children.items():
        keys.update(value_keys(value, child))
    return keys


def _covers(name: str, key: str) -> bool:
    return key == name or key.startswith((f"{name}.", f"{name}["))


def undocumented(values_text: str) -> list[str]:
    """Values with no @param (or @skip) of their own or of a map or list that holds them."""
    names = [p.name for p in parse_params(values_text) if p.tag != "extra"]
    keys = value_keys(yaml.safe_load(values_text) or {})
    return [k for k in keys if not any(_covers(n, k) for n in names)]


def unknown_params(values_text: str) -> list[str]:
    """@params of no value. As in the generator, one that documents a map or list as a
    whole needs a modifier such as [object] or [array]."""
    keys = value_keys(yaml.safe_load(values_text) or {})
    return [
        p.name
        for p in parse_params(values_text)
        if p.tag == "param"
        and p.name not in keys
        and not (p.modifiers and any(_covers(p.name, k) for k in keys))
    ]


def rendered_value(value: Any) -> str:
    """A default as the generator writes it in the table (JavaScript's view of YAML)."""
    if value is None:
        return "nil"
    if value == "":
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table_value(param: Param, keys: dict[str, Any]) -> str:
    """The Value cell: the default, or what the modifiers make of it (lib/builder.js). Only
    a documented value has a default; a map or list documented as a whole has none."""
    value = keys.get(param.name, _MISSING)
    keep = bool(param.modifiers) and param.modifiers[-1] == "nullable"
    for modifier in param.modifiers:
        if modifier in {"array", "object", "string"} and not keep:
            value = {"array": [], "object": {}, "string": ""}[modifier]
        elif modifier == "nullable" and value is _MISSING:
            value = None
        elif modifier.startswith("default:"):
            value = modifier.removeprefix("default:").strip()
    return rendered_value(value)


Row = tuple[str, str, str, str]  # section, name, description, value


def expected_rows(values_text: str) -> list[Row]:
    """The parameters table `make chart-docs` generates: every @param and @extra in a section."""
    keys = value_keys(yaml.safe_load(values_text) or {})
    return [
        (p.section, p.name, p.description, "" if p.tag == "extra" else _table_value(p, keys))
        for p in parse_params(values_text)
        if p.tag != "skip" and p.section is not None
    ]


def readme_rows(readme_text: str) -> list[Row]:
    """The rows of the README's `## Parameters` section, under their `###` sections."""
    rows: list[Row] = []
    inside, section = False, ""
    for line in readme_text.splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Parameters"
        elif inside and line.startswith("### "):
            section = line[4:].strip()
        elif inside and line.startswith("| `"):
            name, description, value = (c.strip() for c in line.strip().strip("|").split("|"))
            rows.append((section, name.strip("`"), description, value[1:-1] if value else ""))
    return rows


def missing_from_readme(values_text: str, readme_text: str) -> list[str]:
    """Values that no row of the README's parameters table covers (nor a @skip)."""
    names = [name for _, name, _, _ in readme_rows(readme_text)]
    names += [p.name for p in parse_params(values_text) if p.tag == "skip"]
    keys = value_keys(yaml.safe_load(values_text) or {})
    return [k for k in keys if not any(_covers(n, k) for n in names)]


def schema_properties(node: Any, pointer: str = "") -> Iterator[tuple[str, dict]]:
    """(JSON pointer, subschema) of every property anywhere in a JSON schema, $defs included."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from schema_properties(item, f"{pointer}/{i}")
    elif isinstance(node, dict):
        for key, sub in node.items():
            if key == "properties" and isinstance(sub, dict):
                for name, prop in sub.items():
                    yield f"{pointer}/properties/{name}", prop
                    yield from schema_properties(prop, f"{pointer}/properties/{name}")
            else:
                yield from schema_properties(sub, f"{pointer}/{key}")


def undescribed_properties(schema: dict) -> list[str]:
    return [
        pointer
        for pointer, prop in schema_properties(schema)
        if not (isinstance(prop, dict) and str(prop.get("description", "")).strip())
    ]


# --- the chart -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def values_text() -> str:
    return (CHART / "values.yaml").read_text()


@pytest.fixture(scope="module")
def readme_text() -> str:
    return (CHART / "README.md").read_text()


def test_every_value_of_the_chart_has_a_param_comment(values_text):
    missing = undocumented(values_text)
    assert not missing, f"values.yaml: no `## @param` for {', '.join(missing)}"


def test_every_param_comment_names_a_value_of_the_chart(values_text):
    unknown = unknown_params(values_text)
    assert not unknown, f"values.yaml: `## @param` for no value: {', '.join(unknown)}"


def test_every_param_comment_has_a_description_and_a_section(values_text):
    params = [p for p in parse_params(values_text) if p.tag == "param"]
    assert params
    assert not [p.name for p in params if not p.description or p.section is None]


def test_every_value_of_the_chart_is_in_the_readme_parameters_table(values_text, readme_text):
    missing = missing_from_readme(values_text, readme_text)
    assert not missing, f"README.md lacks {', '.join(missing)}: {REGENERATE}"


def test_the_readme_parameters_table_is_what_make_chart_docs_generates(values_text, readme_text):
    expected, current = expected_rows(values_text), readme_rows(readme_text)
    stale = sorted({r[1] for r in set(expected) ^ set(current)})
    assert not stale, f"README.md parameters out of date ({', '.join(stale)}): {REGENERATE}"
    assert current == expected, f"README.md parameters out of order: {REGENERATE}"


def test_every_property_of_the_values_schema_has_a_description():
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert len(list(schema_properties(schema))) > 100
    missing = undescribed_properties(schema)
    assert not missing, f"values.schema.json: no description at {', '.join(missing)}"


# --- the checks themselves, on small synthetic charts --------------------------------------

SYNTHETIC_VALUES = """\
## @section Common parameters
## @param replicas Replicas
replicas: 2
## @param resources [object] Resources, documented as a whole
resources:
  limits:
    memory: 1Gi
image:
  ## @param image.tag Image tag
  tag: ""
  digest: ""
podAnnotations: {}
## @param accessModes Access modes
accessModes: [ReadWriteOnce]
hosts:
  - host: a.example.com
"""


def test_a_value_without_a_param_comment_is_reported_and_a_documented_map_covers_its_children():
    assert undocumented(SYNTHETIC_VALUES) == ["image.digest", "podAnnotations", "hosts[0].host"]
    assert undocumented("## @param a.b B\na:\n  b: 1\n") == []


def test_a_param_comment_of_no_value_is_reported():
    values = "## @section S\n## @param a.b B\n## @param a.c Gone\na:\n  b: 1\n"
    assert unknown_params(values) == ["a.c"]
    # A map documented as a whole needs a modifier, as the generator demands.
    assert unknown_params("## @param a A\na:\n  b: 1\n") == ["a"]
    assert unknown_params("## @param a [object] A\na:\n  b: 1\n") == []


def test_a_value_missing_from_the_readme_table_is_reported():
    readme = (
        "# Chart\n\n## Parameters\n\n### Common parameters\n\n"
        "| Name | Description | Value |\n| --- | --- | --- |\n"
        "| `replicas` | Replicas | `2` |\n| `resources` | Resources | `{}` |\n"
        '| `image.tag` | Image tag | `""` |\n\n## License\n\n| `podAnnotations` | x | `{}` |\n'
    )
    assert missing_from_readme(SYNTHETIC_VALUES, readme) == [
        "image.digest",
        "podAnnotations",
        "accessModes",
        "hosts[0].host",
    ]


def test_the_expected_table_renders_defaults_as_the_generator_does():
    assert expected_rows(SYNTHETIC_VALUES) == [
        ("Common parameters", "replicas", "Replicas", "2"),
        ("Common parameters", "resources", "Resources, documented as a whole", "{}"),
        ("Common parameters", "image.tag", "Image tag", '""'),
        ("Common parameters", "accessModes", "Access modes", '["ReadWriteOnce"]'),
    ]
    assert [rendered_value(v) for v in (None, True, 5.0, 0.5, {}, [], "30s")] == [
        "nil",
        "true",
        "5",
        "0.5",
        "{}",
        "[]",
        "30s",
    ]


def test_a_schema_property_without_a_description_is_reported():
    schema = {
        "$defs": {"pair": {"properties": {"min": {"type": "integer"}}}},
        "properties": {
            "api": {
                "type": "object",
                "description": "The API.",
                "properties": {"port": {"type": "integer"}},
            },
            "hosts": {
                "description": "Hosts.",
                "items": {"properties": {"host": {"description": " "}}},
            },
        },
    }
    assert undescribed_properties(schema) == [
        "/$defs/pair/properties/min",
        "/properties/api/properties/port",
        "/properties/hosts/items/properties/host",
    ]
