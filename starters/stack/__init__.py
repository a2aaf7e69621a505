"""The local stack: ``casefac up`` (dev server, sandbox, gateway, worker as child processes) and its parts.

``spec`` reads ``temporal-dev.yml``; ``plan`` turns it plus settings into ports, URLs and child
environments; ``provision`` prepares the data dir; ``children`` runs and stops processes; ``probes`` says
when each is healthy; ``running`` records a running stack for ``casefac demo``; ``up`` ties them together.
"""
