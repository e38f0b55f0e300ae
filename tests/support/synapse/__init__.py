"""A real Synapse homeserver for the Matrix tests, and the people who talk on it."""
