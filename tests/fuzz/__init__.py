"""Property-based fuzzing of every update payload, webhook body and message model (issue 7)."""
