"""Files attached to forms: uploads and the attachments of requests."""
