"""JSON API controllers, one module per area."""
