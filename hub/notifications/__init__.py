"""Telling people: messages for the events of their requests, benefits and tasks, in the hub, by
email and by SMS, each with its delivery state. No HTTP types here."""
