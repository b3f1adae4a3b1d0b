"""The one home of test helpers: processes whose output is read (`process`), real
servers and validating clients (`server`), NATS (`nats`), sockets and peers (`net`)."""
