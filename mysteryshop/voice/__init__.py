"""How personas write: variants and slots, languages, typing slips, mail-client habits (mysteryshop.voice.writer)."""
