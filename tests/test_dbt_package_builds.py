"""Installed packages are built inside the project that installs them, as dbt builds them."""

from __future__ import annotations

from pathlib import Path

from extractor.config import config_from_mapping
from extractor.scan import scan

from .test_dbt_scan import write

ROOT = {
    "dbt_project.yml": "name: shop\n",
    "models/customers.sql": "select id from {{ ref('crm_contacts') }}",
}
PACKAGE = {
    "dbt_packages/crm/dbt_project.yml": "name: crm\nmodels:\n  crm:\n    +schema: crm\n",
    "dbt_packages/crm/models/src.yml": "sources:\n  - name: crm\n    tables:\n      - name: contacts\n"
    "        columns: [{name: id}]\n",
    "dbt_packages/crm/models/crm_contacts.sql": "select id from {{ source('crm', 'contacts') }}",
}


def test_package_models_are_built_with_the_root_target(tmp_path: Path) -> None:
    root = write(tmp_path, {**ROOT, **PACKAGE})
    graph = scan([root], config_from_mapping({"dbt": {"target_schema": "prod"}}, root=root.resolve()))
    assert set(graph.datasets) == {"crm.contacts", "prod_crm.crm_contacts", "prod.customers"}
    job = graph.jobs["dbt_packages/crm/models/crm_contacts.sql:prod_crm.crm_contacts"]
    assert job.attributes["unique_id"] == "model.crm.crm_contacts"
    assert {(e.source, e.target) for e in graph.edges} == {
        ("crm.contacts", "prod_crm.crm_contacts"),
        ("prod_crm.crm_contacts", "prod.customers"),
    }


def test_without_installed_packages_the_ref_is_an_explicit_unknown(tmp_path: Path) -> None:
    root = write(tmp_path, ROOT)
    graph = scan([root], config_from_mapping({}, root=root.resolve()))
    assert [d.code for d in graph.diagnostics] == ["DT203"]
    assert graph.datasets["analytics.crm_contacts"].kind.value == "unknown"


def test_relations_are_mappings_for_dbt_utils_is_relation(tmp_path: Path) -> None:
    # dbt_utils' _is_relation: ``obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation')``
    check = (
        "{% set r = ref('a') %}{% if r is mapping and r.get('metadata', {}).get('type', '').endswith('Relation') %}"
        "select id from {{ r }}{% else %}select 1 as not_a_relation{% endif %}"
    )
    root = write(tmp_path, {"dbt_project.yml": "name: p\n", "models/a.sql": "select 1 as id", "models/b.sql": check})
    graph = scan([root], config_from_mapping({}, root=root.resolve()))
    assert graph.datasets["analytics.b"].columns == ["id"]


def test_package_models_call_root_project_macros_and_use_its_dispatch_order(tmp_path: Path) -> None:
    # dbt: the root project's macros are global (a package's own win), and `dispatch:` comes from the root.
    root = write(tmp_path, {
        **ROOT,
        **PACKAGE,
        "dbt_project.yml": "name: shop\ndispatch:\n  - macro_namespace: crm\n    search_order: ['shop', 'crm']\n",
        "macros/m.sql": "{% macro clean(c) %}lower({{ c }}){% endmacro %}"
                        "{% macro default__label() %}'root' as label{% endmacro %}",
        "dbt_packages/crm/macros/label.sql": "{% macro label() %}{{ adapter.dispatch('label', 'crm')() }}{% endmacro %}"
                                             "{% macro default__label() %}'package' as package_label{% endmacro %}",
        "dbt_packages/crm/models/crm_clean.sql": "select {{ clean('id') }} as clean_id, {{ label() }}"
                                                 " from {{ source('crm', 'contacts') }}",
    })  # fmt: skip
    graph = scan([root], config_from_mapping({}, root=root.resolve()))
    assert not [d for d in graph.diagnostics if d.code in ("DT200", "DT201")]
    assert graph.datasets["analytics_crm.crm_clean"].columns == ["clean_id", "label"]


def test_a_revision_builds_the_packages_installed_in_the_work_tree(tmp_path: Path) -> None:
    # dbt_packages/ is environment (written by `dbt deps`, ignored by git): both sides of a diff
    # build it, so installing packages is not a lineage change, and a change in the project is.
    from extractor import git
    from extractor.diff import diff_graphs
    from extractor.revisions import scan_revision

    from .gitrepo import GitRepo

    repo = GitRepo(tmp_path / "repo")
    repo.write(".gitignore", "dbt_packages/\n")
    for name, text in {**ROOT, **PACKAGE}.items():
        repo.write(name, text)
    repo.commit("project")
    base = scan_revision(repo.root, "HEAD", Path("."), [])
    work = scan_revision(repo.root, git.WORKTREE, Path("."), [])
    assert "analytics_crm.crm_contacts" in base.graph.datasets
    assert set(base.graph.datasets) == set(work.graph.datasets)
    repo.write("models/customers.sql", "select id as customer_id from {{ ref('crm_contacts') }}")
    changed = scan_revision(repo.root, git.WORKTREE, Path("."), [])
    assert set(changed.graph.datasets) == set(base.graph.datasets)  # the ref still names the package's model
    assert diff_graphs(base.graph, changed.graph)
