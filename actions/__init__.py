"""Custom actions of the Rasa bot, one module per family (menu, lessons, quiz, faq, ...)."""
