"""The pipeline: one program end to end (``program``), the prior's numerical normaliser, executors
that contain each program in a child process (locally or on Dask), and the run with its folder."""
