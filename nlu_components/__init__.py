"""Custom Rasa components: the Vietnamese tokenizer, multilingual-e5 sentence features.

Importing the package (Rasa does, to load the model's pipeline) also installs one measured speed-up
of Rasa's server (nlu_components/rasa_speedups.py).
"""

from nlu_components.rasa_speedups import install

install()
