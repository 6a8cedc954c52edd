"""SQL analysis on sqlglot ASTs: parsing, naming, the schema catalog and statement lineage."""
