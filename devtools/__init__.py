"""Development tooling (not shipped): start Rasa and the gateway, local services, clients and fakes
for the tests and benches."""
