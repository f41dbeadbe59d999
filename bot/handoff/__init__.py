"""Escalation to human counsellors: replies, cases and routing state."""
