"""The gateway: one ASGI app where the outside world reaches the running cases.

Provider webhooks become signals and portal pages become updates; the Temporal UI decrypts payloads
through the codec service (``codec_service``), never here. ``gateway.app.create_app`` composes the
routers; ``gateway.server`` runs it under uvicorn.
"""
