"""Life events: one application whose parts are service requests, filed in order by one workflow."""
