"""Telling people: the events a workflow announces, and the activities that send them."""
