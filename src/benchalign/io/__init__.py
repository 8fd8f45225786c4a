"""The input package: files on disk in, validated frames and containers out.

* :mod:`benchalign.io.readers`: tables (CSV / TSV / Parquet / JSON) into frames, with clear errors;
* :mod:`benchalign.io.formats`: the files evaluation tools and leaderboards write, into frames;
* :mod:`benchalign.io.load`: :func:`load_results`, :func:`load_preferences`, :func:`load_models`,
  which read a file and validate it with :mod:`benchalign.data`.

Nothing below the package (``data`` and the numeric core) imports from here.
"""
