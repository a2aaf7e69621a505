"""``casefac doctor``: the preflight a person runs before going live and after any change.

Every check answers ✓ or ✗ with the fix in words (``report``); one module per thing checked: the settings
and local files (``local``), Temporal (``temporal``), each provider (``docusign``, ``sendgrid``,
``stripe_checks``) and the gateway's public URL (``gateway``). ``run.run_all`` runs them in that order.
"""
