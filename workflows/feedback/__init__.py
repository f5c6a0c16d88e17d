"""Feedback: the clock of a case in a department's inbox (a bad rating's follow-up, a grievance),
and the invitations to rate a decided request."""
