"""Code the Rasa server loads (Python 3.10, .venv-rasa): the encrypted tracker store and the
log filter that keeps message text out of Rasa's logs."""
