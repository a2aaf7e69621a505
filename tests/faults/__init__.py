"""Fault tests (issue 7): crashes, restarts, provider errors and webhook chaos against the real stack.

Each test drives one whole case the way ``casefac demo`` does (parties over HTTP, staff through the CLI's
functions), disturbs it at a named step, and checks that the case still ends where an undisturbed one
would, with exactly one of every provider object in the sandbox.
"""
