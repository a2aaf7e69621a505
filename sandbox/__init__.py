"""Loopback emulators of the DocuSign, SendGrid and Stripe HTTP APIs.

The official SDKs used by ``activities/`` are pointed at this app in dev and tests, so the
same code paths run without the internet. Entry points:

* :func:`sandbox.app.create_app` - the Starlette app;
* :func:`sandbox.server.serve` - blocking server (optionally with a TLS OAuth listener);
* :func:`sandbox.testing.running_sandbox` - background server for tests and the demo.
"""
