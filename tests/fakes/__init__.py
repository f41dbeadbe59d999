"""Local fakes of the messaging platforms, speaking their wire formats on 127.0.0.1."""
