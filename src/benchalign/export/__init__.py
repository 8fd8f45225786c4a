"""The aligned or pruned benchmark as a task of the harness people run benchmarks with."""

from .lm_eval import LmEvalExport, document_list, document_rows, export_lm_eval, file_provenance

__all__ = ["LmEvalExport", "document_list", "document_rows", "export_lm_eval", "file_provenance"]
