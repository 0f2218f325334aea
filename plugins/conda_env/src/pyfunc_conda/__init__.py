"""pyfunc-conda: the ``conda`` environment manager for pyfunc-core."""

__version__ = "0.1.0"
