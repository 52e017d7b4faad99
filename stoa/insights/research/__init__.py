"""Research data: a run's datasets as CSV files in the reference platform's own columns, so that
the analysis scripts universities already have read Stoa's runs unchanged; and the same files
imported into a run, for runs that happened elsewhere. schema.py names the datasets and their
columns; export.py writes them; importer.py reads them."""
