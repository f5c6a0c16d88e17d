"""The service catalog as the hub presents it."""
