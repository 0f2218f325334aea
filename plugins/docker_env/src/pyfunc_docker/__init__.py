"""pyfunc-docker: build a serving Docker image for a model, and serve a model from one."""

__version__ = "0.1.0"
