"""pyfunc-core entry point: the distribution shows in ``pyfunc-core plugins``. The gRPC
service itself attaches to the scoring server's workers (``pyfunc_grpc.service``)."""
