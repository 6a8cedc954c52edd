"""Validate OpenLineage NDJSON against the official JSON schemas (a development check, not a test).

The schemas are not shipped with openlineage-python and tests cannot use the network, so this
script takes a directory holding ``OpenLineage.json`` and ``facets/*.json`` from the OpenLineage
repository's ``spec/`` folder (fetched by hand, never committed here):

    python scripts/validate_openlineage.py /tmp/spec events.ndjson [more.ndjson ...]

Each event is checked against the core schema (2-0-2) and every facet against its own schema
(the facet file that its ``_schemaURL`` names). Prints one line per invalid event and a count;
exits 1 when any event is invalid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource


def load_registry(spec: Path) -> tuple[Registry, dict[str, dict[str, Any]]]:
    schemas: dict[str, dict[str, Any]] = {}
    for path in [spec / "OpenLineage.json", *sorted((spec / "facets").glob("*.json"))]:
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[schema["$id"]] = schema
    registry: Registry = Registry().with_resources((sid, Resource.from_contents(s)) for sid, s in schemas.items())
    return registry, schemas


def facet_errors(facets: dict[str, Any], where: str, registry: Registry, schemas: dict[str, Any]) -> list[str]:
    errors = []
    for name, facet in sorted((facets or {}).items()):
        url = str(facet.get("_schemaURL", ""))
        file_id = url.split("#", 1)[0]
        if file_id not in schemas:
            errors.append(f"{where}.{name}: no schema for {url!r}")
            continue
        # A facet file's top-level schema names the facet's key, e.g. {"properties": {"schema": …}}.
        validator = Draft202012Validator(schemas[file_id], registry=registry, format_checker=FormatChecker())
        errors += [f"{where}.{name}: {e.message}" for e in validator.iter_errors({name: facet})]
        if name not in schemas[file_id].get("properties", {}):
            errors.append(f"{where}.{name}: {file_id} does not define a facet called {name!r}")
    return errors


def event_errors(event: dict[str, Any], registry: Registry, schemas: dict[str, Any]) -> list[str]:
    core = schemas["https://openlineage.io/spec/2-0-2/OpenLineage.json"]
    kind = "RunEvent" if "run" in event else "JobEvent"
    schema = {"$ref": f"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/{kind}"}
    validator = Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
    errors = [f"{kind}: {e.message}" for e in validator.iter_errors(event)]
    if not core:
        errors.append("no core schema")
    errors += facet_errors(event["job"].get("facets", {}), "job.facets", registry, schemas)
    if "run" in event:
        errors += facet_errors(event["run"].get("facets", {}), "run.facets", registry, schemas)
    for side in ("inputs", "outputs"):
        for i, dataset in enumerate(event.get(side, [])):
            errors += facet_errors(dataset.get("facets", {}), f"{side}[{i}].facets", registry, schemas)
    return errors


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    registry, schemas = load_registry(Path(argv[0]))
    total = invalid = 0
    for file in argv[1:]:
        for number, line in enumerate(Path(file).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            total += 1
            errors = event_errors(json.loads(line), registry, schemas)
            if errors:
                invalid += 1
                for error in errors:
                    print(f"{file}:{number}: {error}")
    print(f"{total} events, {invalid} invalid")
    return 1 if invalid else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
