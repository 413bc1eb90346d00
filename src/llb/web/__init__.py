"""``llb serve``: a local web page over the same problem folders, ``llb run`` and run folders as the CLI."""
