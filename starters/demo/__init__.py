"""``casefac demo``: one Case Facilitation through all five steps, the parties acting over HTTP."""
