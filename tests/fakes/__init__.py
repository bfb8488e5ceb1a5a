"""Fakes at the edges only: real servers on 127.0.0.1 that tests talk to over real sockets."""
