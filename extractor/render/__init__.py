"""Pure renderers: a lineage graph in, text out. Only ``image.py`` calls Graphviz's ``dot``."""
