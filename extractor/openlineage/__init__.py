"""OpenLineage export: datatrail's static lineage as OpenLineage JobEvents (or RunEvents).

``settings`` reads ``[tool.datatrail.openlineage]``, ``namespaces`` maps datasets to OpenLineage
namespaces and names, ``columns`` builds the columnLineage facet, ``events`` builds whole events
with the openlineage-python client's generated classes, and ``transport`` sends them over HTTP.
"""
