"""Local fakes of outside services (Rasa) that the tests and benches share."""
