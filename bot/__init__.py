"""Gateway: channels, safety screen, handoff, console and storage."""
