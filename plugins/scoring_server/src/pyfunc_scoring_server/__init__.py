"""pyfunc-scoring-server: serve pyfunc-core models over HTTP (MLflow's protocol and V2)."""

__version__ = "0.1.0"
