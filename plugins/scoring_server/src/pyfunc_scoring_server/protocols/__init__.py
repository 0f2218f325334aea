"""Protocols: request bodies decoded and answers encoded (MLflow invocations, V2, OpenAI, streaming)."""
