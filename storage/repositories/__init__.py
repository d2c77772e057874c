"""The queries the engine, delivery worker and console use; no SQL outside this package."""
