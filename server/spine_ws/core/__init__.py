"""The protocol core: commands in, events out, with no sockets and no web server.

Everything here runs on plain values (text frames, serialised events) and talks to the
outside through two interfaces of its own (`outbox.Outbox`, `outbox.Transport`), so it
unit-tests without I/O, as python-websockets' sans-I/O protocol does.
"""
