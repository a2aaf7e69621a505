"""The gateway: one ASGI app where the outside world reaches the running cases.

Provider webhooks become signals, the Temporal UI decrypts payloads through the codec endpoint, and
(later) portal pages become updates. ``gateway.app.create_app`` composes the routers; ``gateway.server``
runs it under uvicorn.
"""
