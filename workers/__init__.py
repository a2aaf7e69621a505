"""The worker process: connects, registers workflows and activities, shuts down cleanly."""
