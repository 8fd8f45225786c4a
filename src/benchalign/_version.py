"""The package version: the one place it is stated (pyproject.toml reads it, setuptools dynamic
version), so an artifact, the report and ``benchalign --version`` say the same without asking the
installed metadata or depending on the order of imports."""

__version__ = "0.1.0"
