"""Open Inference Protocol (V2) over gRPC beside the scoring server's HTTP, in each worker."""

__version__ = "0.1.0"
